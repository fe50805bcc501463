// What `gotap ns` reports: events of ns.bpf.c decoded into findings (goroutine, thread, the
// namespaces involved, the function and Go stack), their text and JSON forms, and the summary
// whose violation count decides the exit code.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "gobin/binary.h"
#include "nswatch/namespaces.h"
#include "nswatch/ns_intf.h"

namespace gotap::nswatch {

// "unlock_in_foreign_ns", "poisoned_thread", "child_not_inheriting", "ns_syscall"; "?" else.
const char* FindingKindName(uint32_t kind);
// Kinds 1-3 are violations; setns/unshare calls are reported but are not.
bool IsViolation(uint32_t kind);

// "CLONE_NEWNET|CLONE_NEWNS", "0" for none, unknown bits in hex.
std::string CloneFlagsToString(uint64_t flags);

// Maps a runtime pc of process tgid to a Go function name (pclntab), undoing the load bias of a
// PIE from /proc/TGID/maps. Empty when the pc is in no function of the binary.
class Symbolizer {
 public:
  // `site_vaddrs[func_id]`: the link-time vaddrs of that function's probe sites (NsPlan).
  explicit Symbolizer(const gobin::Binary& binary,
                      std::map<uint32_t, std::vector<uint64_t>> site_vaddrs = {})
      : binary_(binary), site_vaddrs_(std::move(site_vaddrs)) {}
  std::string FunctionAt(int tgid, uint64_t runtime_pc);
  // A uprobe event's first pc is the probed site of func_id: for a PIE target, the load bias is
  // that pc minus the site's vaddr (page-aligned, and unique among the function's sites). Learnt
  // from the event itself, it does not depend on the process still running when the event is
  // read (it often has exited by then).
  void LearnFromSite(int tgid, uint32_t func_id, uint64_t runtime_pc);

 private:
  std::optional<int64_t> Bias(int tgid);
  const gobin::Binary& binary_;
  std::map<uint32_t, std::vector<uint64_t>> site_vaddrs_;
  std::map<int, int64_t> bias_;  // tgid -> runtime - link-time address, once known
};

struct Finding {
  uint32_t kind = 0;   // enum gotap_ns_event_kind
  uint64_t ts_ns = 0;  // wall clock (ns since the epoch)
  int pid = 0, tid = 0;
  uint64_t goid = 0;
  uint64_t child_goid = 0;  // child_not_inheriting; 0: unknown
  bool locked = false;      // g.lockedm != 0
  uint32_t locked_ext = 0, locked_int = 0;
  std::string function;            // where the goroutine was caught (see findings.cc)
  std::vector<std::string> stack;  // Go functions, innermost first ("?" for unknown pcs)
  NsSet ns{}, original{}, before{};
  // ns_syscall only:
  std::string syscall;  // "setns" or "unshare"
  uint64_t args[2] = {0, 0};
  int64_t ret = 0;

  std::string ToText() const;  // one line, then the stack indented
  std::string ToJson() const;  // one line
};

// Parses one ring-buffer record. `func_names` is NsPlan::functions.
StatusOr<Finding> DecodeFinding(Bytes record, const std::vector<std::string>& func_names,
                                Symbolizer* symbolizer);

struct NsSummary {
  std::map<uint32_t, uint64_t> per_kind;  // enum gotap_ns_event_kind -> findings
  uint64_t lost = 0;                      // events dropped (ring buffer full or unreadable)
  double seconds = 0;
  std::string stop_reason;
  std::optional<int> child_exit_status;

  void Add(const Finding& f) { ++per_kind[f.kind]; }
  uint64_t violations() const;
  int ExitCode() const { return violations() > 0 ? 3 : 0; }
  std::string ToText() const;
  std::string ToJson() const;
};

}  // namespace gotap::nswatch
