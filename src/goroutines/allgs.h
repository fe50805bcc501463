// Where runtime.allgs (the []*g of every goroutine ever created) lives, as a link-time vaddr:
// from .symtab, from DWARF, or, in stripped binaries, from the code of runtime.allgadd, which
// appends to the slice and so addresses all three of its words RIP-relatively.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "base/byte_reader.h"
#include "base/status.h"
#include "gobin/binary.h"

namespace gotap::goroutines {

struct AllgsLocation {
  uint64_t vaddr = 0;         // link-time vaddr of the slice header {ptr, len, cap}
  const char* found_by = "";  // "symtab", "dwarf", "code"
};

StatusOr<AllgsLocation> LocateAllgs(const gobin::Binary& binary);

// The slice found in the code of one function (amd64): the lowest address A such that A, A+8
// and A+16 are all operands of RIP-relative memory accesses in `code` (at link-time vaddr
// `entry`) and lie in [data_begin, data_end). kNotFound if there is none.
// Targets (link-time vaddrs) of the RIP-relative memory operands in amd64 `code` at `entry`.
StatusOr<std::set<uint64_t>> RipRelativeTargets(uint64_t entry, Bytes code);

StatusOr<uint64_t> FindSliceReferencedByCode(uint64_t entry, Bytes code, uint64_t data_begin,
                                             uint64_t data_end);

}  // namespace gotap::goroutines
