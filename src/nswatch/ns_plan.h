// Where `gotap ns` puts its uprobes in one Go binary, and what each site checks:
//   - the traced functions (main.* and the user's PROBE patterns): entry sites that catch an
//     unlocked goroutine running on a thread in a foreign namespace;
//   - runtime.UnlockOSThread and runtime.unlockOSThread: their once-per-call entry site, and the
//     first instruction of every inlined copy (so an inlined unlock is not missed);
//   - runtime.newproc's entry (the creating goroutine is the running one) and every RET of
//     runtime.newproc1 (the new *g is its result): together "child g=N will not inherit ...".
// Never a uretprobe: return sites are the RETs found by disassembly (Binary::Analyze).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/limits.h"
#include "gobin/binary.h"
#include "nswatch/ns_intf.h"
#include "nswatch/runtime_offsets.h"

namespace gotap::nswatch {

struct NsPlan {
  std::vector<std::string> functions;  // func_id -> Go name
  // Site i is attached at file_offsets[i] (a FILE offset) with cookie i; vaddrs[i] is its
  // link-time vaddr.
  std::vector<gotap_ns_site> sites;
  std::vector<uint64_t> file_offsets;
  std::vector<uint64_t> vaddrs;
  RuntimeOffsets offsets;
  std::vector<std::string> warnings;  // one line each
  size_t traced_functions = 0;        // functions with a PROBE site
};

// `probes`: Go names or globs ('main.*'); an empty list means {"main.*"}. Errors: not amd64, a
// pattern that matches nothing, more than `max_functions` matches, unknown runtime layout.
StatusOr<NsPlan> PlanNsWatch(const gobin::Binary& binary, const std::vector<std::string>& probes,
                             size_t max_functions = bpf::kMaxSites);

// The byte offset in struct pt_regs (x86-64) of the register holding a function's first
// integer result under Go's register ABI (RAX); -1 for the stack ABI (Go < 1.17).
int16_t ResultRegisterOffset(gobin::Abi abi);

}  // namespace gotap::nswatch
