// The caller's distributed-trace position carried in a context.Context, for joining gotap's
// spans to the program's own traces.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "decode/iface.h"

namespace gotap::decode {

struct TraceParent {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};  // the caller's span: the parent of the call's span
};

// A W3C traceparent header value, version 00: "00-" 32 lowercase hex (trace id) "-" 16 hex
// (parent id) "-" 2 hex (flags); ids not all zero. Anything else: nullopt.
std::optional<TraceParent> ParseTraceParent(std::string_view text);

// The traceparent-shaped string value nearest the top of a context's walked tree (the innermost
// context.WithValue that holds one), or nullopt. Only walked nodes are searched: a value cut off
// by the walk's limits is not found.
std::optional<TraceParent> FindTraceParent(const IfaceNode& ctx);

}  // namespace gotap::decode
