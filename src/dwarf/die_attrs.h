// Internal: typed reads of single DIE attributes. Each returns "absent" for a missing attribute
// and for one whose form does not fit, so callers treat broken attributes like missing ones.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <string>

namespace gotap::dwarf {

// The DIE's own attribute (`integrate` = false) or, following DW_AT_abstract_origin and
// DW_AT_specification, the one it inherits (`integrate` = true).
std::optional<uint64_t> UdataAttr(Dwarf_Die* die, unsigned name, bool integrate = false);
std::optional<uint64_t> AddrAttr(Dwarf_Die* die, unsigned name);
bool FlagAttr(Dwarf_Die* die, unsigned name, bool integrate = false);
// DW_AT_name as a string; empty if absent.
std::string NameAttr(Dwarf_Die* die, bool integrate = false);
// The offset in .debug_info of the DIE a reference attribute points to.
std::optional<Dwarf_Off> RefAttr(Dwarf_Die* die, unsigned name, bool integrate = false);

// The operand of an expression attribute that is exactly one `atom` operation, where atom is
// DW_OP_addr (e.g. a global's DW_AT_location) or DW_OP_plus_uconst (a DWARF 2 member offset).
// Handles exprloc and the DW_FORM_block* that Go writes in DWARF 4 units, which libdw's
// dwarf_getlocation rejects there ("not a location list value").
std::optional<uint64_t> SingleOpAttr(Dwarf_Die* die, unsigned name, uint8_t atom);

// The message of libdw's last error, for Status texts.
std::string LibdwError();

}  // namespace gotap::dwarf
