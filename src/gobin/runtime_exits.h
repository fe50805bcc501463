// Go runtime functions that never come back through their own RET, and why.
//
// A traced call is paired by its goroutine and stack depth (bpf/gotap_intf.h): a function that
// leaves by switching stacks (mcall, gogo), restarts its caller (morestack), ends the goroutine
// or the program, or runs the scheduler forever would leave an open frame that later looks like
// a panic. gotap probes such functions at their entry only and says why. The names are the
// runtime's own and have been stable across Go 1.17-1.27 (runtime/asm_amd64.s, proc.go,
// panic.go, stack.go); a function that does not exist in a binary simply never matches.
#pragma once

#include <optional>
#include <string_view>

namespace gotap::gobin {

// Why `name` (a full Go symbol name, e.g. "runtime.mcall") does not return to its caller through
// its RET; nullopt for every other function.
std::optional<std::string_view> NonReturningReason(std::string_view name);

// Why calls of `name` cannot be paired at all, for functions their callers enter in the middle
// (runtime.duffzero and runtime.duffcopy, Duff's devices: the compiler calls entry + k to zero or
// copy fewer words, so the entry probe misses most calls while the RET sees them all); nullopt
// for every other function.
std::optional<std::string_view> UnpairableReason(std::string_view name);

}  // namespace gotap::gobin
