// Golden tests of every output sink, unprivileged: a fixed set of calls (strings, integers, a
// struct by value, a slice header, a nil error, a float in a register it could not read, an
// unwound call, an entry-only one, one still running at exit, a truncated record) rendered by
// the text, JSON, graph and Chrome-trace sinks, plus a latency histogram, a Prometheus body and
// an OTLP request, compared byte for byte with tests/golden/. After an intended change of
// format, regenerate them with:
//   GOTAP_UPDATE_GOLDEN=1 ./build/tests/gotap_unit_tests --gtest_filter='OutputGolden.*'
// and review the diff (git diff tests/golden).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <sstream>

#include "golden_file.h"
#include "output/call_sink.h"
#include "output/chrome_trace.h"
#include "output/graph_sink.h"
#include "output/histogram.h"
#include "output/otlp_json.h"
#include "output/prometheus.h"
#include "probe/type_arena.h"

namespace gotap::output {
namespace {

using decode::ByteState;
using decode::CapturedValue;

using gotap::testing::ExpectGolden;

class OutputGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    // Text timestamps are local time: fix the zone.
    setenv("TZ", "UTC", 1);
    tzset();
  }

  CapturedValue String(const std::string& name, const std::string& s) {
    CapturedValue v = CapturedValue::Make(name, types_.Named("string"), ByteState::kKnown);
    v.Fill(0, 8, 0xc000010000);
    v.Fill(8, 8, s.size());
    v.pointees[0] = decode::Pointee{s, false};
    return v;
  }
  CapturedValue Int(const std::string& name, int64_t n) {
    CapturedValue v = CapturedValue::Make(name, types_.Named("int"), ByteState::kKnown);
    v.Fill(0, 8, static_cast<uint64_t>(n));
    return v;
  }
  CapturedValue NilError(const std::string& name) {
    return CapturedValue::Make(name, types_.Named("error"), ByteState::kKnown);
  }

  // The calls of one goroutine: handle → (parse, lookup), then calls of other kinds.
  std::vector<CallEvent> Calls() {
    std::vector<CallEvent> calls;
    const uint64_t t0 = 1796670000000000000;  // 2026-12-07T19:00:00Z
    CallEvent parse;
    parse.ts_ns = t0 + 1000;
    parse.pid = 4242;
    parse.tid = 4250;
    parse.return_tid = 4250;
    parse.goid = 17;
    parse.level = 1;
    parse.func = "main.parse";
    parse.args = {String("line", "GET /orders?id=7 \"quoted\"\n"), Int("n", -3)};
    parse.results = {Int("r0", 7), NilError("r1")};
    parse.duration_ns = 1800;
    calls.push_back(parse);

    CallEvent lookup = parse;
    lookup.ts_ns = t0 + 5000;
    lookup.tid = 4251;  // moved threads during the call
    lookup.func = "main.(*Store).lookup";
    auto point = types_.Struct({{"X", 0, types_.Named("int")}, {"Y", 0, types_.Named("int")}});
    CapturedValue p = CapturedValue::Make("p", *point, ByteState::kKnown);
    p.Fill(0, 8, 3);
    p.Fill(8, 8, static_cast<uint64_t>(-4));
    CapturedValue tags =
        CapturedValue::Make("tags", types_.Slice(types_.Named("string")), ByteState::kKnown);
    tags.Fill(0, 8, 0xc000020000);
    tags.Fill(8, 8, 2);
    tags.Fill(16, 8, 4);
    CapturedValue ratio =
        CapturedValue::Make("ratio", types_.Named("float64"), ByteState::kFloatRegister);
    lookup.args = {p, tags, ratio};
    lookup.results = {String("r0", "caf\xc3\xa9 \x01 ok")};
    lookup.duration_ns = 12'300'000;
    calls.push_back(lookup);

    CallEvent handle = parse;
    handle.ts_ns = t0;
    handle.level = 0;
    handle.func = "main.handle";
    handle.args = {String("path", "/orders")};
    handle.results = {NilError("r0")};
    handle.duration_ns = 12'400'000;
    calls.push_back(handle);

    CallEvent unwound = parse;
    unwound.kind = CallKind::kUnwound;
    unwound.ts_ns = t0 + 20'000'000;
    unwound.goid = 18;
    unwound.level = 0;
    unwound.func = "main.mustPositive";
    unwound.args = {Int("n", -1)};
    unwound.results.clear();
    unwound.duration_ns = 950;
    calls.push_back(unwound);

    CallEvent entry = unwound;
    entry.kind = CallKind::kEntryOnly;
    entry.func = "main.loop";
    entry.args.clear();
    entry.no_return = "no RET or tail jump to probe";
    entry.duration_ns = 0;
    calls.push_back(entry);

    CallEvent running = entry;
    running.kind = CallKind::kRunningAtExit;
    running.goid = 19;
    running.func = "main.serve";
    running.no_return.clear();
    running.truncated = true;
    running.args = {Int("id", 9), CapturedValue::Make("payload", types_.Named("string"),
                                                      ByteState::kNotCaptured)};
    calls.push_back(running);
    return calls;
  }

  std::string Through(std::unique_ptr<CallSink> sink, std::ostringstream& out) {
    for (const CallEvent& e : Calls()) sink->Write(e);
    sink->Finish();
    return out.str();
  }

  probe::TypeArena types_;
};

TEST_F(OutputGolden, TextSink) {
  std::ostringstream out;
  ExpectGolden("text_sink.txt", Through(MakeTextSink(out), out));
}

TEST_F(OutputGolden, JsonSink) {
  std::ostringstream out;
  ExpectGolden("json_sink.jsonl", Through(MakeJsonSink(out), out));
}

TEST_F(OutputGolden, GraphSink) {
  std::ostringstream out;
  GraphOptions options;
  options.hold = std::chrono::milliseconds(0);
  ExpectGolden("graph_sink.txt", Through(MakeGraphSink(out, options), out));
}

TEST_F(OutputGolden, ChromeTraceSink) {
  std::ostringstream out;
  ExpectGolden("chrome_trace.json", Through(MakeChromeTraceSink(out, "shop (pid 4242)"), out));
}

TEST_F(OutputGolden, LatencyHistogram) {
  std::vector<uint64_t> slots(256 + 3, 0);
  slots[40] = 7;  // a few buckets around 1µs and 1ms
  slots[41] = 3;
  slots[81] = 1;
  slots[256] = 7 * 1100 + 3 * 1300 + 1 * 1'400'000;  // sum
  slots[257] = 1024;                                 // min
  slots[258] = 1'400'000;                            // max
  LatencyHistogram h = LatencyHistogram::FromSlots("main.(*Store).lookup", slots);
  h.errors = 2;
  ExpectGolden("latency.txt",
               RenderHistogramText(h) + RenderHistogramJson(h, 1796670000000000000) + "\n");
}

TEST_F(OutputGolden, Prometheus) {
  AgentMetrics m;
  BinaryMetrics b;
  b.binary = "/srv/shop";
  b.service = "example.com/shop";
  b.go_version = "go1.27.1";
  std::vector<uint64_t> slots(256 + 3, 0);
  slots[40] = 5;
  slots[256] = 5 * 1100;
  slots[257] = 1024;
  slots[258] = 1200;
  FunctionMetrics f;
  f.function = "main.(*Store).lookup";
  f.calls = LatencyHistogram::FromSlots(f.function, slots);
  f.counts_errors = true;
  f.errors = 1;
  b.functions.push_back(f);
  f.function = "main.parse\"odd\\name";
  f.pid = 4242;
  f.counts_errors = false;
  b.functions.push_back(f);
  b.functions_untraced = 1;
  b.lost = {{"ring_full", 0}, {"histogram_full", 2}};
  m.binaries.push_back(b);
  m.spans = SpanExportMetrics{10, {{"queue_full", 0}, {"rejected", 1}}, 3};
  m.start_time_seconds = 1796670000.5;
  m.scrapes = 4;
  m.attach_failures = 1;
  ExpectGolden("prometheus.txt", FormatPrometheus(m));
}

TEST_F(OutputGolden, OtlpTraces) {
  ResourceSpans rs;
  rs.resource = {{"service.name", std::string("example.com/shop")}, {"process.pid", int64_t{4242}}};
  Span s;
  for (size_t i = 0; i < s.trace_id.size(); ++i) s.trace_id[i] = static_cast<uint8_t>(i + 1);
  for (size_t i = 0; i < s.span_id.size(); ++i) s.span_id[i] = static_cast<uint8_t>(0xa0 + i);
  s.name = "main.(*Store).lookup";
  s.start_unix_ns = 1796670000000005000;
  s.end_unix_ns = 1796670000012305000;
  s.attributes = {{"gotap.arg.key", std::string("caf\xc3\xa9 \"x\"\n")},
                  {"go.goroutine.id", int64_t{17}}};
  s.error = true;
  s.status_message = "not found: \xff";
  rs.spans.push_back(s);
  std::vector<ResourceSpans> batch{rs};
  ExpectGolden("otlp_traces.json", EncodeOtlpTraces(batch, "0.1.0") + "\n");
}

}  // namespace
}  // namespace gotap::output
