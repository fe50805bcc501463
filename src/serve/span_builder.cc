#include "serve/span_builder.h"

#include <algorithm>

#include "base/utf8.h"
#include "decode/iface_render.h"
#include "decode/render.h"
#include "decode/trace_context.h"

namespace gotap::serve {
namespace {

// At most `limit` bytes of `text`, cut at a UTF-8 boundary, marked when cut.
std::string Bounded(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = 0;
  while (end < text.size()) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(text, end, &cp);
    if (n == 0) n = 1;
    if (end + n > limit) break;
    end += n;
  }
  size_t cut = text.size() - end;
  text.resize(end);
  return text + "...(cut " + std::to_string(cut) + " bytes)";
}

// Whether `v` is an error that is not nil, and its message.
std::optional<std::string> NonNilError(const decode::CapturedValue& v) {
  if (v.type == nullptr || v.type->name != "error" || v.bytes.size() < 16) return std::nullopt;
  if (v.StateOf(0, 8) != decode::ByteState::kKnown || v.Word(0, 8) == 0) return std::nullopt;
  if (auto node = v.ifaces.find(0); node != v.ifaces.end()) {
    if (auto message = decode::ErrorMessage(node->second)) return message;
  }
  return decode::RenderText(v);
}

// The caller's trace position in the call's context arguments (its own ctx, or the one
// --ctx-from lent it), if one carries a traceparent value or an OpenTelemetry SDK span.
std::optional<decode::TraceParent> CallersTrace(const output::CallEvent& e) {
  for (const decode::CapturedValue& v : e.args) {
    if (v.type == nullptr || v.type->name != "context.Context") continue;
    auto node = v.ifaces.find(0);
    if (node == v.ifaces.end()) continue;
    if (auto tp = decode::FindTraceParent(node->second)) return tp;
  }
  return std::nullopt;
}

}  // namespace

SpanBuilder::SpanBuilder(SpanLimits limits, uint64_t seed) : limits_(limits), random_(seed) {}

output::TraceId SpanBuilder::NewTraceId() {
  output::TraceId id{};
  while (std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; })) {
    for (size_t i = 0; i < id.size(); i += 8) {
      uint64_t r = random_();
      for (size_t j = 0; j < 8; ++j) id[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  }
  return id;
}

output::SpanId SpanBuilder::NewSpanId() {
  output::SpanId id{};
  while (std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; })) {
    uint64_t r = random_();
    for (size_t j = 0; j < 8; ++j) id[j] = static_cast<uint8_t>(r >> (8 * j));
  }
  return id;
}

void SpanBuilder::EvictOldest() {
  auto oldest = std::min_element(
      pending_.begin(), pending_.end(),
      [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
  if (oldest == pending_.end()) return;
  pending_.erase(oldest);
  ++evicted_;
}

const SpanBuilder::Reserved& SpanBuilder::Reserve(uint32_t pid, uint64_t lane, uint32_t level) {
  auto it = pending_.find({pid, lane, level});
  if (it != pending_.end()) return it->second;
  output::TraceId trace = level == 0 ? NewTraceId() : Reserve(pid, lane, level - 1).trace;
  while (pending_.size() >= limits_.max_pending) EvictOldest();
  return pending_[{pid, lane, level}] = Reserved{trace, NewSpanId(), order_++};
}

std::optional<output::Span> SpanBuilder::Build(const output::CallEvent& e) {
  if (e.kind != output::CallKind::kCall && e.kind != output::CallKind::kUnwound) {
    return std::nullopt;
  }
  const uint64_t lane = output::Lane(e);
  output::Span span;
  bool self_reserved = false;
  if (auto self = pending_.find({e.pid, lane, e.level}); self != pending_.end()) {
    self_reserved = true;
    span.trace_id = self->second.trace;
    span.span_id = self->second.span;
    pending_.erase(self);
  } else {
    span.span_id = NewSpanId();
  }
  if (e.level > 0) {
    // The parent's reservation, made with its own ancestors' if missing: it carries the trace id
    // a call without a reservation of its own takes.
    const Reserved& parent = Reserve(e.pid, lane, e.level - 1);
    span.parent_span_id = parent.span;
    if (!self_reserved) span.trace_id = parent.trace;
  } else if (!self_reserved) {
    span.trace_id = NewTraceId();
  }
  // Joined to the program's trace: its trace id, and (for an outermost call) its span as the
  // parent. The ancestors still to come join too; spans already sent keep theirs.
  if (auto caller = CallersTrace(e)) {
    span.trace_id = caller->trace_id;
    if (e.level == 0) span.parent_span_id = caller->span_id;
    for (uint32_t level = 0; level < e.level; ++level) {
      if (auto it = pending_.find({e.pid, lane, level}); it != pending_.end()) {
        it->second.trace = caller->trace_id;
      }
    }
    span.attributes.emplace_back(
        "gotap.joined",
        std::string(caller->source == decode::TraceSource::kOtelSpan ? "otel.span"
                                                                     : "traceparent"));
  }

  span.name = e.func;
  span.start_unix_ns = e.ts_ns;
  span.end_unix_ns = e.ts_ns + e.duration_ns;
  span.attributes.emplace_back("code.function.name", e.func);
  span.attributes.emplace_back("thread.id", static_cast<int64_t>(e.tid));
  if (e.return_tid != 0 && e.return_tid != e.tid) {
    span.attributes.emplace_back("gotap.return_thread.id", static_cast<int64_t>(e.return_tid));
  }
  if (!e.system_stack) {
    span.attributes.emplace_back("go.goroutine.id", static_cast<int64_t>(e.goid));
  } else {
    span.attributes.emplace_back("gotap.system_stack", int64_t{1});
  }
  size_t values = 0;
  for (const auto* list : {&e.args, &e.results}) {
    const char* prefix = list == &e.args ? "gotap.arg." : "gotap.result.";
    for (const decode::CapturedValue& v : *list) {
      if (values++ >= limits_.max_values) break;
      span.attributes.emplace_back(prefix + v.name,
                                   Bounded(decode::RenderText(v), limits_.max_value_bytes));
      if (auto message = NonNilError(v); message && !span.error) {
        span.error = true;
        span.status_message = Bounded(*message, limits_.max_value_bytes);
      }
    }
  }
  if (e.kind == output::CallKind::kUnwound) {
    span.error = true;
    span.status_message = "unwound: a panic or runtime.Goexit abandoned the call";
  }
  return span;
}

}  // namespace gotap::serve
