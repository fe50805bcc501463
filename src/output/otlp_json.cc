#include "output/otlp_json.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/json_writer.h"

namespace gotap::output {
namespace {

constexpr int kSpanKindInternal = 1;  // SPAN_KIND_INTERNAL: a function call inside the process
constexpr int kStatusError = 2;       // STATUS_CODE_ERROR

void WriteAttributes(const Attributes& attributes, JsonWriter& w) {
  w.BeginArray();
  for (const auto& [key, value] : attributes) {
    w.BeginObject().Key("key").String(key).Key("value").BeginObject();
    if (const auto* s = std::get_if<std::string>(&value)) {
      w.Key("stringValue").String(*s);
    } else {
      w.Key("intValue").String(fmt::format("{}", std::get<int64_t>(value)));
    }
    w.EndObject().EndObject();
  }
  w.EndArray();
}

void WriteSpan(const Span& s, JsonWriter& w) {
  w.BeginObject();
  w.Key("traceId").String(HexId(s.trace_id)).Key("spanId").String(HexId(s.span_id));
  if (std::any_of(s.parent_span_id.begin(), s.parent_span_id.end(), [](uint8_t b) { return b; })) {
    w.Key("parentSpanId").String(HexId(s.parent_span_id));
  }
  w.Key("name").String(s.name).Key("kind").Int(kSpanKindInternal);
  w.Key("startTimeUnixNano").String(fmt::format("{}", s.start_unix_ns));
  w.Key("endTimeUnixNano").String(fmt::format("{}", s.end_unix_ns));
  w.Key("attributes");
  WriteAttributes(s.attributes, w);
  if (s.error) {
    w.Key("status").BeginObject().Key("code").Int(kStatusError);
    w.Key("message").String(s.status_message).EndObject();
  }
  w.EndObject();
}

}  // namespace

std::string HexId(std::span<const uint8_t> id) {
  std::string out;
  out.reserve(id.size() * 2);
  for (uint8_t b : id) out += fmt::format("{:02x}", b);
  return out;
}

std::string EncodeOtlpTraces(std::span<const ResourceSpans> batch, std::string_view scope_version) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("resourceSpans").BeginArray();
  for (const ResourceSpans& r : batch) {
    w.BeginObject().Key("resource").BeginObject().Key("attributes");
    WriteAttributes(r.resource, w);
    w.EndObject();
    w.Key("scopeSpans").BeginArray().BeginObject();
    w.Key("scope").BeginObject().Key("name").String("gotap");
    w.Key("version").String(scope_version).EndObject();
    w.Key("spans").BeginArray();
    for (const Span& s : r.spans) WriteSpan(s, w);
    w.EndArray().EndObject().EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace gotap::output
