// Addresses a function's code computes relative to its own pc: x86-64 `lea reg, [rip + d]` and
// arm64 `adrp xN, page` followed by `add xM, xN, #lo12`. Go's compiler materializes the address
// of a global (a type descriptor passed to runtime.newobject, a closure, a string) this way, so
// the list lets gotap find, in a stripped binary, which type a runtime function allocates.
#pragma once

#include <cstdint>
#include <vector>

#include "arch/arch.h"
#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap::arch {

// Every pc-relative address `code` computes, in instruction order (duplicates kept). `entry` is
// the link-time vaddr of code[0]; the results are link-time vaddrs. `code` is untrusted: bytes
// that do not decode end the x86-64 sweep; they never crash it. Errors: capstone cannot be opened,
// or (arm64) a misaligned entry.
StatusOr<std::vector<uint64_t>> PcRelativeAddresses(Arch arch, uint64_t entry, Bytes code);

}  // namespace gotap::arch
