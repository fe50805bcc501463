// Follows one value through straight-line code: which memory load produced the first argument
// of a call. gotap uses it to read runtime.g's goid offset out of the binary's own code
// (runtime.goroutineheader loads gp.goid and passes it to runtime.printint/printuint), so that
// stripped binaries of any Go version need no hard-coded table.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>

#include "arch/arch.h"
#include "base/byte_reader.h"

namespace gotap::arch {

struct ArgLoadQuery {
  Arch arch = Arch::kX86_64;
  bool register_abi = true;  // first argument in RAX / X0; else on the stack at the call
  uint64_t entry = 0;        // link-time vaddr of `code`
  Bytes code;                // the function's bytes (untrusted)
  std::unordered_set<uint64_t> callees;  // entries of the functions whose call ends the search
};

// The displacement `d` of the 8-byte load `reg <- [base + d]` (base not the stack pointer) whose
// value reaches the first argument of the first call to one of `callees`, tracking register
// copies and spills to stack slots in instruction order (branches are not followed). nullopt if
// the value cannot be traced to such a load.
std::optional<int64_t> FindFirstArgumentLoad(const ArgLoadQuery& query);

}  // namespace gotap::arch
