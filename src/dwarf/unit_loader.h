// Internal: walks every compile unit of a Dwarf handle and fills a DwarfData — functions with
// parameters and prologue_end, inlined calls, abstract-only names, globals and (through
// TypeBuilder) the type arena.
#pragma once

#include <elfutils/libdw.h>

#include "base/status.h"
#include "dwarf/dwarf_data.h"

namespace gotap::dwarf {

// kMalformed if libdw reports an error while walking units, DIE trees or line tables. Individual
// DIEs that lack what they need (a subprogram without a PC range) are skipped, not errors.
Status LoadUnits(Dwarf* dwarf, DwarfData* data);

}  // namespace gotap::dwarf
