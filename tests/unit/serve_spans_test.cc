// Spans from traced calls: nesting per goroutine when children end before their parents, the
// OTLP/HTTP JSON encoding, and the endpoint URLs gotap serve --otlp accepts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "decode/trace_context.h"
#include "output/otlp_json.h"
#include "serve/http_client.h"
#include "serve/span_builder.h"

namespace gotap::serve {
namespace {

output::CallEvent Call(const std::string& func, uint64_t goid, uint32_t level, uint64_t start,
                       uint64_t duration, uint32_t pid = 100) {
  output::CallEvent e;
  e.func = func;
  e.pid = pid;
  e.tid = pid + 1;
  e.goid = goid;
  e.level = level;
  e.ts_ns = start;
  e.duration_ns = duration;
  return e;
}

bool IsZero(const output::SpanId& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

TEST(SpanBuilder, ChildrenEndingFirstStillHangUnderTheirParent) {
  SpanBuilder b({}, 1);
  // outer (level 0) calls middle (1), which calls leaf (2) twice; records arrive as calls end.
  auto leaf1 = b.Build(Call("main.leaf", 7, 2, 120, 10));
  auto leaf2 = b.Build(Call("main.leaf", 7, 2, 140, 10));
  auto middle = b.Build(Call("main.middle", 7, 1, 110, 50));
  auto outer = b.Build(Call("main.outer", 7, 0, 100, 80));
  ASSERT_TRUE(leaf1 && leaf2 && middle && outer);
  EXPECT_EQ(leaf1->parent_span_id, middle->span_id);
  EXPECT_EQ(leaf2->parent_span_id, middle->span_id);
  EXPECT_EQ(middle->parent_span_id, outer->span_id);
  EXPECT_TRUE(IsZero(outer->parent_span_id));
  for (const auto* s : {&*leaf1, &*leaf2, &*middle}) EXPECT_EQ(s->trace_id, outer->trace_id);
  EXPECT_NE(leaf1->span_id, leaf2->span_id);
  EXPECT_EQ(b.pending(), 0u);  // every reservation was taken by its call
  EXPECT_EQ(outer->start_unix_ns, 100u);
  EXPECT_EQ(outer->end_unix_ns, 180u);

  // The next outermost call on the goroutine starts a new trace.
  auto next = b.Build(Call("main.outer", 7, 0, 200, 5));
  EXPECT_NE(next->trace_id, outer->trace_id);
}

TEST(SpanBuilder, GoroutinesAndProcessesDoNotMix) {
  SpanBuilder b({}, 2);
  auto a = b.Build(Call("main.leaf", 7, 1, 10, 1, 100));
  auto other_goroutine = b.Build(Call("main.leaf", 8, 1, 10, 1, 100));
  auto other_process = b.Build(Call("main.leaf", 7, 1, 10, 1, 200));
  EXPECT_NE(a->parent_span_id, other_goroutine->parent_span_id);
  EXPECT_NE(a->parent_span_id, other_process->parent_span_id);
  EXPECT_NE(a->trace_id, other_goroutine->trace_id);
  EXPECT_EQ(b.pending(), 3u);  // three parents not ended yet
}

TEST(SpanBuilder, AbandonedCallsAreErrorsAndUnfinishedOnesAreNotSpans) {
  SpanBuilder b({}, 3);
  output::CallEvent unwound = Call("main.f", 1, 0, 1, 2);
  unwound.kind = output::CallKind::kUnwound;
  auto s = b.Build(unwound);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->error);
  EXPECT_NE(s->status_message.find("panic"), std::string::npos);
  output::CallEvent running = Call("main.g", 1, 0, 1, 0);
  running.kind = output::CallKind::kRunningAtExit;
  EXPECT_FALSE(b.Build(running));
}

TEST(SpanBuilder, ReservationsAreBounded) {
  SpanBuilder b({.max_pending = 4}, 4);
  for (uint64_t g = 1; g <= 10; ++g) b.Build(Call("main.leaf", g, 1, 1, 1));
  EXPECT_EQ(b.pending(), 4u);
  EXPECT_EQ(b.evicted(), 6u);
}

TEST(TraceContext, ParsesW3cTraceparentVersion00Only) {
  auto tp = decode::ParseTraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(tp);
  EXPECT_EQ(output::HexId(tp->trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(output::HexId(tp->span_id), "b7ad6b7169203331");
  for (const char* bad :
       {"", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // other version
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  // uppercase
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // zero span id
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",  // bad flags
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333x-01",
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-"}) {
    EXPECT_FALSE(decode::ParseTraceParent(bad)) << bad;
  }
}

TEST(SpanBuilder, JoinsTheTraceOfAContextTraceparent) {
  // A context{value key="00-…"} as the walk delivers it: a valueCtx node whose value child is a
  // plain string node.
  static const decode::IfaceType kString{"string", decode::RtKind::kString, 16, false, nullptr};
  static const dwarf::Type* ctx_type = [] {
    static dwarf::Type t;
    t.name = "context.Context";
    t.size = 16;
    return &t;
  }();
  decode::IfaceNode value;
  value.type_addr = 1;
  value.type = &kString;
  value.strings.push_back({"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55, false});
  decode::IfaceNode ctx;
  ctx.type_addr = 2;
  ctx.children.emplace_back(2, value);
  auto arg = decode::CapturedValue::Make("ctx", ctx_type, decode::ByteState::kKnown);
  arg.ifaces.emplace(0, ctx);

  SpanBuilder b({}, 5);
  output::CallEvent inner = Call("main.step", 9, 1, 20, 5);
  inner.args.push_back(arg);
  output::CallEvent outer = Call("main.handle", 9, 0, 10, 30);
  outer.args.push_back(arg);
  auto step = b.Build(inner);
  auto handle = b.Build(outer);
  EXPECT_EQ(output::HexId(step->trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(output::HexId(handle->trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(output::HexId(handle->parent_span_id), "b7ad6b7169203331");  // the program's span
  EXPECT_EQ(step->parent_span_id, handle->span_id);                      // gotap's nesting
}

TEST(OtlpJson, EncodesAnExportRequestAsTheSpecSays) {
  output::ResourceSpans r;
  r.resource = {{"service.name", std::string("svc\"\n")}, {"process.pid", int64_t{42}}};
  output::Span s;
  s.trace_id = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xff};
  s.span_id = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1};
  s.name = "main.(*T).Get";
  s.start_unix_ns = 1796655000000000001;
  s.end_unix_ns = 1796655000000000999;
  s.attributes = {{"gotap.arg.key", std::string("\"a\xff\"")}, {"thread.id", int64_t{-3}}};
  s.error = true;
  s.status_message = "empty value";
  r.spans.push_back(s);
  output::Span child = s;
  child.parent_span_id = s.span_id;
  child.error = false;
  r.spans.push_back(child);
  std::string body = output::EncodeOtlpTraces(std::vector{r}, "test");
  auto j = nlohmann::json::parse(body);  // throws on invalid JSON (the 0xff included)
  const auto& rs = j["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"][0]["value"]["stringValue"], "svc\"\n");
  EXPECT_EQ(rs["resource"]["attributes"][1]["value"]["intValue"], "42");
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "gotap");
  const auto& spans = rs["scopeSpans"][0]["spans"];
  EXPECT_EQ(spans[0]["traceId"], "0102030405060708090a0b0c0d0e0fff");
  EXPECT_EQ(spans[0]["spanId"], "deadbeef00000001");
  EXPECT_FALSE(spans[0].contains("parentSpanId"));
  EXPECT_EQ(spans[1]["parentSpanId"], "deadbeef00000001");
  EXPECT_EQ(spans[0]["kind"], 1);
  EXPECT_EQ(spans[0]["startTimeUnixNano"], "1796655000000000001");
  EXPECT_EQ(spans[0]["endTimeUnixNano"], "1796655000000000999");
  EXPECT_EQ(spans[0]["status"]["code"], 2);
  EXPECT_EQ(spans[0]["status"]["message"], "empty value");
  EXPECT_FALSE(spans[1].contains("status"));
  EXPECT_EQ(spans[0]["attributes"][1]["value"]["intValue"], "-3");
}

TEST(HttpClient, ParsesCollectorUrls) {
  auto a = ParseHttpUrl("http://127.0.0.1:4318", 4318, "/v1/traces");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 4318);
  EXPECT_EQ(a->path, "/v1/traces");
  auto b = ParseHttpUrl("http://collector/custom/path", 4318, "/v1/traces");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 4318);
  EXPECT_EQ(b->path, "/custom/path");
  auto c = ParseHttpUrl("http://[::1]:9/", 4318, "/v1/traces");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->url(), "http://[::1]:9/v1/traces");
  for (const char* bad :
       {"https://x:4318", "127.0.0.1:4318", "http://", "http://:4318", "http://x:0",
        "http://x:65536", "http://x:12a", "http://[::1", "http://a b:1", "ftp://x"}) {
    auto r = ParseHttpUrl(bad, 4318, "/v1/traces");
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(ParseHttpUrl("https://x", 4318, "/").status().message().find("https is not"),
            std::string::npos);
}

TEST(HttpClient, NoCollectorIsAnIoErrorNotAHang) {
  auto e = ParseHttpUrl("http://127.0.0.1:1", 4318, "/v1/traces");
  ASSERT_TRUE(e.ok());
  auto r = HttpPost(*e, "application/json", "{}", std::chrono::milliseconds(2000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIo);
}

}  // namespace
}  // namespace gotap::serve
