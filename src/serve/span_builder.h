// Traced calls as OpenTelemetry spans. Calls nested on one goroutine nest as spans: a call's
// parent is the traced call one level up on the same goroutine (CallEvent::level), and all of a
// goroutine's nested calls share the trace id of its outermost one.
//
// Records arrive as calls end, so a child reaches userspace before its parent. Instead of holding
// children back until the parent ends (which for a server's connection loop may be never), the
// first call that needs an unfinished ancestor reserves ids for it: a pending span per (process,
// goroutine, level) from level 0 down, sharing one trace id. The ancestor's own record, the next
// one at that level on that goroutine, takes the reserved ids. Every span is exported as soon as
// its call ends.
//
// A call whose context.Context argument carries a W3C traceparent value, or an OpenTelemetry Go
// SDK span (tracer.Start, trace.ContextWithSpan), joins the program's trace: its span takes that
// trace id, and an outermost call takes the program's span as its parent, so gotap's spans hang
// inside the program's own traces.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <tuple>

#include "output/call_event.h"
#include "output/otlp_json.h"

namespace gotap::serve {

struct SpanLimits {
  size_t max_value_bytes = 256;  // per argument or result, rendered as Go prints it
  size_t max_values = 16;        // arguments + results per span
  size_t max_pending = 65536;    // reserved ancestors kept; the oldest go first beyond this
};

class SpanBuilder {
 public:
  explicit SpanBuilder(SpanLimits limits = {}, uint64_t seed = std::random_device{}());

  // The span of a call that ended (kCall) or was abandoned (kUnwound: status ERROR); none for
  // entry-only and still-running calls, which have no end.
  std::optional<output::Span> Build(const output::CallEvent& e);

  size_t pending() const { return pending_.size(); }
  uint64_t evicted() const { return evicted_; }  // reservations dropped at max_pending

 private:
  struct Reserved {
    output::TraceId trace;
    output::SpanId span;
    uint64_t order;  // insertion order, for eviction
  };
  using Key = std::tuple<uint32_t, uint64_t, uint32_t>;  // pid, lane, level

  // The reservation for (pid, lane, level), made (with its ancestors) if missing.
  const Reserved& Reserve(uint32_t pid, uint64_t lane, uint32_t level);
  output::TraceId NewTraceId();
  output::SpanId NewSpanId();
  void EvictOldest();

  SpanLimits limits_;
  std::mt19937_64 random_;
  std::map<Key, Reserved> pending_;
  uint64_t order_ = 0;
  uint64_t evicted_ = 0;
};

}  // namespace gotap::serve
