// The caller's distributed-trace position carried in a context.Context, for joining gotap's
// spans to the program's own traces.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "decode/iface.h"

namespace gotap::decode {

// Where a trace position was found.
enum class TraceSource {
  kTraceparent,  // a W3C traceparent string value
  kOtelSpan,     // an OpenTelemetry Go span stored by trace.ContextWithSpan (tracer.Start)
};

struct TraceParent {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};  // the caller's span: the parent of the call's span
  TraceSource source = TraceSource::kTraceparent;
};

// A W3C traceparent header value, version 00: "00-" 32 lowercase hex (trace id) "-" 16 hex
// (parent id) "-" 2 hex (flags); ids not all zero. Anything else: nullopt.
std::optional<TraceParent> ParseTraceParent(std::string_view text);

// The SpanContext of an OpenTelemetry Go span value: a struct node (Shape::kStruct, copied whole)
// with a field `spanContext` (the SDK's *recordingSpan) or `sc` (the nonRecordingSpans) of type
// trace.SpanContext whose fields traceID [16]byte and spanID [8]byte were copied. The offsets
// are the recipe's, read from the binary's type data. nullopt if the node is not such a value,
// the fields lie beyond the copy, or either id is all zero (an invalid SpanContext).
std::optional<TraceParent> OtelSpanContext(const IfaceNode& span);

// The trace position nearest the top of a context's walked tree, or nullopt: the innermost
// context.WithValue whose value is a traceparent-shaped string (any key), or an OpenTelemetry
// span under the key of type trace.traceContextKeyType (see OtelSpanContext). Only walked
// nodes are searched: a value cut off by the walk's limits is not found.
std::optional<TraceParent> FindTraceParent(const IfaceNode& ctx);

}  // namespace gotap::decode
