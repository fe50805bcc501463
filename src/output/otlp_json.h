// Spans in the OTLP/HTTP JSON encoding (opentelemetry-proto's ExportTraceServiceRequest as JSON:
// ids as lowercase hex, 64-bit integers as decimal strings, enums as numbers), as gotap serve
// posts them to a collector's /v1/traces.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gotap::output {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

// An attribute value: OTLP's stringValue or intValue.
using AttributeValue = std::variant<std::string, int64_t>;
using Attributes = std::vector<std::pair<std::string, AttributeValue>>;

struct Span {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero: a root span
  std::string name;
  uint64_t start_unix_ns = 0;
  uint64_t end_unix_ns = 0;
  Attributes attributes;
  bool error = false;          // status ERROR with status_message; else UNSET
  std::string status_message;  // untrusted text (escaped by the encoder)
};

// The spans of one process, with its resource attributes.
struct ResourceSpans {
  Attributes resource;
  std::vector<Span> spans;
};

// One ExportTraceServiceRequest. Every string is escaped; bytes that are not UTF-8 become
// U+FFFD, so the body is valid JSON whatever the target's memory held.
std::string EncodeOtlpTraces(std::span<const ResourceSpans> batch, std::string_view scope_version);

std::string HexId(std::span<const uint8_t> id);  // lowercase, two digits per byte

}  // namespace gotap::output
