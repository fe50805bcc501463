// The trace position in a walked context: OpenTelemetry Go SDK spans (hand-built nodes laid out
// as the walk delivers a context of tracer.Start, fields as the type data of the otelsdk
// fixture describes recordingSpan) and the innermost-wins rule between them and traceparent
// values; and the recipes that make the walk copy those spans, read from the fixture itself.
#include "decode/trace_context.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

#include "gobin/binary.h"
#include "output/otlp_json.h"
#include "test_paths.h"
#include "trace/struct_recipes.h"

namespace gotap {
namespace {

using decode::IfaceNode;
using decode::IfaceType;
using decode::RecipeField;
using decode::RtKind;
using decode::ShapeRecipe;

const ShapeRecipe& ValueCtxRecipe() {
  static const ShapeRecipe r = [] {
    for (const ShapeRecipe& s : decode::BuiltinShapes({1, 19})) {
      if (s.shape == decode::Shape::kValueCtx) return s;
    }
    return ShapeRecipe{};
  }();
  return r;
}

RecipeField Field(std::string name, std::string type, uint8_t kind, uint64_t at, uint64_t size) {
  RecipeField f;
  f.name = std::move(name);
  f.type_name = std::move(type);
  f.kind = kind;
  f.offset = at;
  f.size = size;
  return f;
}

// trace.SpanContext at `at`: traceID [16]byte, spanID [8]byte, then flags, state, remote.
RecipeField SpanContextField(std::string name, uint64_t at) {
  RecipeField f = Field(std::move(name), "trace.SpanContext", RtKind::kStruct, at, 64);
  f.fields.push_back(Field("traceID", "trace.TraceID", RtKind::kArray, at, 16));
  f.fields.push_back(Field("spanID", "trace.SpanID", RtKind::kArray, at + 16, 8));
  f.fields.push_back(Field("traceFlags", "trace.TraceFlags", 8, at + 24, 1));
  return f;
}

// *sdktrace.recordingSpan as far as the walk copies it: its parent's SpanContext at 8, its own
// at 232 (offsets of Debian's SDK 1.1.0), cut at 256 bytes.
const ShapeRecipe& RecordingSpanRecipe() {
  static const ShapeRecipe r = [] {
    ShapeRecipe s;
    s.shape = decode::Shape::kStruct;
    s.type_name = "*trace.recordingSpan";
    s.copy_len = 256;
    s.struct_size = 376;
    s.fields.push_back(Field("mu", "sync.Mutex", RtKind::kStruct, 0, 8));
    s.fields.push_back(SpanContextField("parent", 8));
    s.fields.push_back(SpanContextField("spanContext", 232));
    return s;
  }();
  return r;
}

const IfaceType kValueCtx{"*context.valueCtx", RtKind::kPointer, 8, true, &ValueCtxRecipe()};
const IfaceType kSpanKey{"trace.traceContextKeyType", RtKind::kInt, 8, false, nullptr};
const IfaceType kOtherKey{"main.spanKey", RtKind::kInt, 8, false, nullptr};
const IfaceType kRecordingSpan{"*trace.recordingSpan", RtKind::kPointer, 8, true,
                               &RecordingSpanRecipe()};
const IfaceType kString{"string", RtKind::kString, 16, false, nullptr};

// A recordingSpan node whose own ids start with bytes `trace` and `span` (the parent's ids with
// 0xee), the rest of each id 0x11.
IfaceNode RecordingSpan(uint8_t trace, uint8_t span) {
  IfaceNode n;
  n.type_addr = 0x100;
  n.type = &kRecordingSpan;
  n.copy.assign(256, '\0');
  std::fill(n.copy.begin() + 8, n.copy.begin() + 32, '\xee');
  std::fill(n.copy.begin() + 232, n.copy.begin() + 256, '\x11');
  n.copy[232] = static_cast<char>(trace);
  n.copy[248] = static_cast<char>(span);
  return n;
}

IfaceNode StringValue(const std::string& s) {
  IfaceNode n;
  n.type_addr = 0x200;
  n.type = &kString;
  n.strings.push_back({s, s.size(), false});
  return n;
}

// context.WithValue(parent, key, value): the walk's children are {parent, key, val}.
IfaceNode WithValue(const IfaceNode* parent, const IfaceType* key_type, IfaceNode value) {
  IfaceNode n;
  n.type_addr = 0x300;
  n.type = &kValueCtx;
  n.copy.assign(48, '\0');
  if (parent != nullptr) n.children.emplace_back(0, *parent);
  IfaceNode key;
  key.type_addr = 0x400;
  key.type = key_type;
  key.copy.assign(8, '\0');
  n.children.emplace_back(1, key);
  n.children.emplace_back(2, std::move(value));
  return n;
}

const char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(TraceContext, FindsTheSpanOfTracerStartByItsTypeDataOffsets) {
  IfaceNode ctx = WithValue(nullptr, &kSpanKey, RecordingSpan(0xab, 0xcd));
  auto tp = decode::FindTraceParent(ctx);
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->source, decode::TraceSource::kOtelSpan);
  // The span's own SpanContext, not its parent's.
  EXPECT_EQ(output::HexId(tp->trace_id), "ab111111111111111111111111111111");
  EXPECT_EQ(output::HexId(tp->span_id), "cd11111111111111");
}

TEST(TraceContext, InnermostContextWinsBetweenSpansAndTraceparents) {
  IfaceNode span_ctx = WithValue(nullptr, &kSpanKey, RecordingSpan(0xab, 0xcd));
  IfaceNode header_over_span = WithValue(&span_ctx, &kString, StringValue(kTraceparent));
  auto tp = decode::FindTraceParent(header_over_span);
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->source, decode::TraceSource::kTraceparent);
  EXPECT_EQ(output::HexId(tp->span_id), "b7ad6b7169203331");

  IfaceNode header_ctx = WithValue(nullptr, &kString, StringValue(kTraceparent));
  IfaceNode span_over_header = WithValue(&header_ctx, &kSpanKey, RecordingSpan(0xab, 0xcd));
  tp = decode::FindTraceParent(span_over_header);
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->source, decode::TraceSource::kOtelSpan);
  EXPECT_EQ(output::HexId(tp->span_id), "cd11111111111111");
}

TEST(TraceContext, IgnoresSpansUnderOtherKeysCutShortOrInvalid) {
  // The same span stored under the program's own key is not the current span.
  EXPECT_FALSE(decode::FindTraceParent(WithValue(nullptr, &kOtherKey, RecordingSpan(1, 2))));
  // Under the span key, but further out than a span under another key: found.
  IfaceNode outer = WithValue(nullptr, &kSpanKey, RecordingSpan(3, 4));
  auto tp = decode::FindTraceParent(WithValue(&outer, &kOtherKey, RecordingSpan(1, 2)));
  ASSERT_TRUE(tp);
  EXPECT_EQ(output::HexId(tp->span_id), "0411111111111111");
  // A copy shorter than the recipe's (the walk ran out of room): nothing is read.
  IfaceNode cut = RecordingSpan(1, 2);
  cut.copy.resize(200);
  EXPECT_FALSE(decode::FindTraceParent(WithValue(nullptr, &kSpanKey, cut)));
  // An invalid SpanContext (zero trace id), as a span of a context without one has.
  IfaceNode zero = RecordingSpan(0, 2);
  std::fill(zero.copy.begin() + 232, zero.copy.begin() + 248, '\0');
  EXPECT_FALSE(decode::FindTraceParent(WithValue(nullptr, &kSpanKey, zero)));
  EXPECT_FALSE(decode::OtelSpanContext(StringValue(kTraceparent)));
}

bool HoldsSpanContext(const ShapeRecipe& r) {
  return std::any_of(r.fields.begin(), r.fields.end(),
                     [](const RecipeField& f) { return f.type_name == "trace.SpanContext"; });
}

// The recipes come from the binary: the SDK's span types are found in the otelsdk fixture
// (Go 1.19, GOPATH mode) with and without symbols, before the SDK's many other structs when
// the map has room for them alone, and their SpanContext's ids lie inside what the walk copies.
class OtelSdkRecipes : public ::testing::TestWithParam<const char*> {};

TEST_P(OtelSdkRecipes, SpanTypesComeFirstWithTheirIdsInsideTheCopy) {
  auto binary = gobin::Binary::Open(testing::FixturePath(GetParam()));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  auto types = gobin::RuntimeTypes::Load(**binary);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  trace::UserStructs all = trace::FindUserStructs(*types, "", GOTAP_IFACE_MAX_RECIPES);
  size_t holders = std::count_if(all.recipes.begin(), all.recipes.end(),
                                 [](const auto& r) { return HoldsSpanContext(r.second); });
  ASSERT_GE(holders, 2u);
  trace::UserStructs few = trace::FindUserStructs(*types, "", holders);
  EXPECT_GT(few.left_out, 50u) << "the SDK brings many struct types";
  int spans = 0;
  bool recording = false;
  for (const auto& [vaddr, r] : few.recipes) {
    SCOPED_TRACE(r.type_name);
    EXPECT_TRUE(HoldsSpanContext(r));
    recording |= r.type_name == "*trace.recordingSpan";
    // A node copied by this recipe, with 0x5a bytes where the recipe places the span's own
    // ids, decodes to them.
    IfaceType type{r.type_name, RtKind::kPointer, 8, true, &r};
    IfaceNode span;
    span.type_addr = vaddr;
    span.type = &type;
    span.copy.assign(r.copy_len, '\0');
    bool placed = false;
    for (const RecipeField& f : r.fields) {
      if (f.name != "spanContext" && f.name != "sc") continue;
      for (const RecipeField& id : f.fields) {
        if (id.name != "traceID" && id.name != "spanID") continue;
        ASSERT_LE(id.offset + id.size, r.copy_len) << id.name;
        std::fill_n(span.copy.begin() + static_cast<std::ptrdiff_t>(id.offset), id.size, '\x5a');
        placed = true;
      }
    }
    if (!placed) continue;  // a Link or a snapshot: holds a SpanContext, is no span
    ++spans;
    auto tp = decode::OtelSpanContext(span);
    ASSERT_TRUE(tp);
    EXPECT_EQ(output::HexId(tp->span_id), "5a5a5a5a5a5a5a5a");
    EXPECT_EQ(output::HexId(tp->trace_id), "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
  }
  EXPECT_TRUE(recording);
  EXPECT_GE(spans, 2);  // *recordingSpan, and nonRecordingSpan of the SDK or the API
}

INSTANTIATE_TEST_SUITE_P(Builds, OtelSdkRecipes,
                         ::testing::Values("otelsdk.default", "otelsdk.stripped"));

}  // namespace
}  // namespace gotap
