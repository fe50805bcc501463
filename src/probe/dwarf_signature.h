// Signatures from DWARF, and the check that a signature the user wrote agrees with DWARF.
#pragma once

#include "base/status.h"
#include "dwarf/dwarf_info.h"
#include "probe/signature.h"

namespace gotap::probe {

// Every argument of `function` (a receiver first, as Go's DWARF lists it) and its results, with
// DWARF's types (owned by the DwarfInfo, which must outlive the result). Unnamed values get the
// names of signature.h ("arg0"; "~r0" becomes "r0") with Value::named false. Lay it out with
// pointer_receiver = false: the receiver is already there.
Signature SignatureFromDwarf(const dwarf::Function& function);

// Ok iff `written` (params after the receiver, as in a selector) describes `function`: the same
// number of parameters and results, each of the same kind and size (structs field by field,
// arrays by length and element). Names are not compared: a signature may name values freely.
// A pointer receiver ("(*T).M") is DWARF's first argument and is not written. DWARF
// types gotap cannot classify (kOther) are taken on trust. The kInvalidArgument error names the
// first mismatch: "signature contradicts DWARF for main.f: parameter 2 'y' is int (8 bytes) in
// the signature, string (16 bytes) in DWARF".
Status CheckSignatureAgainstDwarf(const Signature& written, const dwarf::Function& function);

}  // namespace gotap::probe
