// Turning probe selectors into what the kernel needs (site specs, file offsets of probe sites)
// and what userspace needs to decode the records (how capture slots map onto Go values).
//
// Per traced function: one entry site (fires once per call; see arch::CodeAnalysis) capturing
// the arguments, and one site on every RET capturing the results. Functions without a RET are
// traced entry-only. Types come from DWARF, else from the signature in the selector; with
// neither, the raw argument words are captured and named after their registers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/code_analysis.h"
#include "bpf/gotap_intf.h"
#include "bpf/limits.h"
#include "decode/captured_value.h"
#include "gobin/binary.h"
#include "probe/abi_layout.h"
#include "probe/selector.h"
#include "trace/iface_types.h"

namespace gotap::trace {

// How one Go value is rebuilt from capture slots.
struct ValueBinding {
  struct SlotPiece {
    uint32_t slot;
    uint64_t value_offset;
    uint64_t size;
  };
  struct Unknown {
    uint64_t value_offset;
    uint64_t size;
    decode::ByteState state;
  };
  std::string name;
  const dwarf::Type* type = nullptr;  // never null
  std::vector<SlotPiece> pieces;
  std::vector<Unknown> unknown;
  // value offset of a string/[]byte data pointer -> the slot that copied its bytes
  std::vector<std::pair<uint64_t, uint32_t>> pointees;
  // value offset of an interface -> the slot (its first word) whose walk was copied
  std::vector<std::pair<uint64_t, uint32_t>> ifaces;
};

struct TracedFunction {
  uint32_t func_id = 0;
  std::string name;
  // Probed only to lend its context to the calls below it (--ctx-from); its calls are not
  // reported.
  bool quiet = false;
  uint64_t entry = 0;        // link-time vaddr
  uint64_t entry_probe = 0;  // link-time vaddr of the entry site
  uint8_t entry_flags = 0;   // GOTAP_SITE_F_DEDUP when the site can fire twice per call
  std::vector<uint64_t> return_sites;
  std::vector<uint64_t> tail_jump_sites;  // exits by a jump to another function
  // No exit to probe: the function never returns through a RET or tail jump (`no_return` says
  // why when the runtime is known to leave some other way), and is probed at its entry only.
  bool entry_only = false;
  std::string no_return;
  // Neither DWARF nor a signature describes the results: none are captured or shown.
  bool results_unknown = false;
  // Histogram plans: the function returns an `error`, and its RETs count the non-nil ones
  // (GOTAP_SITE_F_COUNT_ERRORS; tail-call exits, which leave before results exist, do not).
  bool counts_errors = false;
  std::string types_from;  // "dwarf", "signature", "signature and type data" or "raw words"
  std::vector<gotap_capture> arg_captures;
  std::vector<gotap_capture> result_captures;
  std::vector<ValueBinding> args;
  std::vector<ValueBinding> results;
  // Non-empty iff none of its sites is attached, and why (the kernel refuses one of them; see
  // trace/site_screen.h): its calls are never reported.
  std::string untraced;
};

struct PlanOptions {
  uint16_t string_length = 64;  // bytes of string and []byte contents copied per value
  bool count_only = false;      // entry sites that only count calls (no records)
  bool histogram = false;       // latency into in-kernel histograms (no records, no values)
  std::string ctx_key;          // --ctx-key: contexts render as just this key's value
  // Pointers in traced values are followed at the probe to what they point to (bounded as
  // interface walks are: bpf/iface_intf.h); false (--no-follow) keeps them addresses.
  bool follow_pointers = true;
  // Probe sites a plan may need: the kernel's limit for one run (bpf/limits.h). Lower only in
  // tests, to reach the error without a binary of a million functions.
  size_t max_sites = bpf::kMaxSites;
  // --ctx-from: functions whose context.Context argument is lent, while they run, to the traced
  // functions they call that take no context (shown as the value `caller_ctx`).
  std::vector<probe::Selector> ctx_from;
};

inline constexpr uint64_t kChainedSite = UINT64_MAX;

struct TracePlan {
  std::vector<TracedFunction> functions;  // func_id == index
  // One per site; spec i is attached at file_offsets[i] with cookie (first cookie + i), except
  // where file_offsets[i] is kChainedSite: that spec runs only from the entry spec that names it
  // (GOTAP_SITE_F_EXIT_HERE).
  std::vector<gotap_site_spec> specs;
  std::vector<uint64_t> file_offsets;
  std::vector<std::string> warnings;  // things the user should know (one line each)
  bool count_only = false;            // sites count calls in the kernel; no records
  bool histogram = false;             // exits add latencies to in-kernel histograms
  // Owns the types made up for raw words (uintptr) and selectors' signatures.
  std::vector<std::shared_ptr<const void>> keep_alive;
  // Interface decoding: the recipes to load into the session and the type lookup. Never null;
  // refers to the Binary, which must outlive the plan's use.
  std::shared_ptr<const IfaceTypes> iface_types;
  std::string ctx_key;
};

// Leaves `fn` out of the run: records why (TracedFunction::untraced) and adds the note
// "not tracing NAME: why" to plan->warnings. Its sites are the caller's to drop.
void LeaveOut(TracedFunction& fn, std::string why, TracePlan* plan);

// Where the first word of fn's (last) `error` result is at its RETs, as a plain 8-byte capture:
// nonzero iff the error is not nil. None when fn's results are unknown or hold no error.
std::optional<gotap_capture> ErrorResultWord(const TracedFunction& fn);

// The sites to attach: spec i is attached at file_offsets[k] where spec_index[k] == i, with cookie
// (first cookie + i). Chained specs (kChainedSite) are left out.
struct AttachableSites {
  std::vector<uint64_t> file_offsets;
  std::vector<size_t> spec_index;
};
AttachableSites SitesToAttach(const TracePlan& plan);

// Errors: a selector that matches nothing (with the nearest names), a function that exists only
// inlined (with where it was inlined), a signature that contradicts DWARF, an unsupported arch.
StatusOr<TracePlan> PlanTrace(const gobin::Binary& binary,
                              const std::vector<probe::Selector>& selectors,
                              const PlanOptions& options);

// Rebuilds the values of `bindings` from the slots of a parsed capture area. Compiler-internal
// values (names starting with '.', like a generic's .dict) are captured but not returned.
struct SlotValue {
  uint64_t raw = 0;
  bool present = false;  // false: the area was truncated before this slot
  bool has_data = false;
  std::string data;
};
// `plan` (optional) resolves interface types; `now_ns` is the call's wall-clock time.
std::vector<decode::CapturedValue> BuildValues(const std::vector<ValueBinding>& bindings,
                                               const std::vector<SlotValue>& slots,
                                               bool capture_fault, const TracePlan* plan = nullptr,
                                               uint64_t now_ns = 0);

}  // namespace gotap::trace
