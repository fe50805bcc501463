// Reading runtime type descriptors from real stripped binaries built by Go 1.15 to 1.23
// (esbuild from npm), 1.26 (esbuild 0.28.2) and 1.27 (lefthook, whose type data has no
// .typelink/.itablink sections): names in both encodings (2-byte length before Go 1.17, uvarint
// since), the error and context types gotap decodes, and their sizes, which must equal the layouts
// gotap assumes for that Go version (go-internals.md §7).
#include <gtest/gtest.h>

#include "decode/iface.h"
#include "gobin/binary.h"
#include "gobin/rtype.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

struct Case {
  std::string package;
  std::string file;  // the binary in the package
  std::pair<int, int> go;
  uint64_t cancel_ctx_size, timer_ctx_size;
  bool empty_ctx;  // context.emptyCtx is an int (<= 1.20) rather than backgroundCtx structs
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.package; }

// Sizes for Go 1.26 and 1.27: DWARF of the ctxerr fixture built by those toolchains.
const Case kCases[] = {
    {"esbuild-linux-64@0.8.0", "bin/esbuild", {1, 15}, 56, 88, true},
    {"esbuild-linux-64@0.8.57", "bin/esbuild", {1, 16}, 56, 88, true},
    {"esbuild-linux-64@0.14.54", "bin/esbuild", {1, 19}, 64, 96, true},
    {"@esbuild+linux-x64@0.20.2", "bin/esbuild", {1, 20}, 80, 40, true},  // timerCtx{*cancelCtx,
                                                                          // ...}
    {"@esbuild+linux-x64@0.24.2", "bin/esbuild", {1, 23}, 80, 112, false},
    {"@esbuild+linux-arm64@0.24.2", "bin/esbuild", {1, 23}, 80, 112, false},
    {"@esbuild+linux-x64@0.28.2", "bin/esbuild", {1, 26}, 80, 112, false},
    {"lefthook-linux-x64@2.2.4", "bin/lefthook", {1, 27}, 80, 112, false},
};

std::string PathOf(const Case& c) { return testing::NpmPackageFile(c.package, c.file); }

class RuntimeTypesNpmTest : public ::testing::TestWithParam<Case> {};

TEST_P(RuntimeTypesNpmTest, FindsErrorAndContextTypesWithTheirLayouts) {
  const Case& c = GetParam();
  auto binary = Binary::Open(PathOf(c));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString() << " (run scripts/setup.sh)";
  ASSERT_EQ((*binary)->go_major_minor(), c.go);
  auto types = RuntimeTypes::Load(**binary);
  ASSERT_TRUE(types.ok()) << types.status().ToString();

  std::set<std::string> wanted = {"*errors.errorString", "*context.cancelCtx", "*context.timerCtx",
                                  "*context.valueCtx",   "context.cancelCtx",  "context.timerCtx",
                                  "context.valueCtx",    "errors.errorString"};
  wanted.insert(c.empty_ctx ? "*context.emptyCtx" : "context.backgroundCtx");
  auto found = types->FindTypes(wanted);
  for (const std::string& name : wanted) {
    ASSERT_TRUE(found.count(name)) << name;
    auto t = types->TypeAt(found[name]);
    ASSERT_TRUE(t.has_value()) << name;
    EXPECT_EQ(t->name, name);
    if (name[0] == '*') {
      EXPECT_EQ(t->kind, GoKind::kPointer) << name;
      EXPECT_TRUE(t->direct_iface) << name;
      ASSERT_TRUE(t->elem.has_value()) << name;
      auto elem = types->TypeAt(*t->elem);
      ASSERT_TRUE(elem.has_value()) << name;
      EXPECT_EQ(elem->name, name.substr(1));
    }
  }
  EXPECT_EQ(types->TypeAt(found["context.cancelCtx"])->size, c.cancel_ctx_size);
  EXPECT_EQ(types->TypeAt(found["context.timerCtx"])->size, c.timer_ctx_size);
  EXPECT_EQ(types->TypeAt(found["context.valueCtx"])->size, 48u);
  EXPECT_EQ(types->TypeAt(found["context.valueCtx"])->kind, GoKind::kStruct);
  EXPECT_EQ(types->TypeAt(found["errors.errorString"])->size, 16u);

  // The copies gotap makes of each shape are the whole struct as this Go version lays it out.
  for (const decode::ShapeRecipe& s : decode::BuiltinShapes(c.go)) {
    if (s.type_name == "*context.cancelCtx") EXPECT_EQ(s.copy_len, c.cancel_ctx_size);
    if (s.type_name == "*context.valueCtx") EXPECT_EQ(s.copy_len, 48u);
    if (s.type_name == "*context.timerCtx") {
      EXPECT_EQ(s.copy_len, c.timer_ctx_size);
      EXPECT_EQ(s.deadline_at + 24u, c.timer_ctx_size);  // deadline is the last field
    }
  }
}

TEST_P(RuntimeTypesNpmTest, AddressesOutsideTheTypeDataAreNotTypes) {
  auto binary = Binary::Open(PathOf(GetParam()));
  ASSERT_TRUE(binary.ok());
  auto types = RuntimeTypes::Load(**binary);
  ASSERT_TRUE(types.ok());
  EXPECT_FALSE(types->TypeAt(0).has_value());
  EXPECT_FALSE(types->TypeAt(types->types() - 8).has_value());
  EXPECT_FALSE(types->TypeAt(types->etypes()).has_value());
  EXPECT_FALSE(types->TypeAt(~0ull - 16).has_value());
}

// "name:type@offset" of every field of struct type `name`.
std::string Layout(const RuntimeTypes& types, uint64_t vaddr) {
  auto fields = types.Fields(vaddr);
  if (!fields) return "<not a struct>";
  std::string out;
  for (const StructField& f : *fields) {
    auto t = types.TypeAt(f.type);
    out += (out.empty() ? "" : " ") + f.name + ":" + (t ? t->name : "?") + "@" +
           std::to_string(f.offset);
  }
  return out;
}

TEST_P(RuntimeTypesNpmTest, ContextStructLayouts) {
  const Case& c = GetParam();
  auto binary = Binary::Open(PathOf(c));
  ASSERT_TRUE(binary.ok());
  auto types = RuntimeTypes::Load(**binary);
  ASSERT_TRUE(types.ok());
  auto found = types->FindTypes({"context.timerCtx", "context.cancelCtx"});
  ASSERT_EQ(found.size(), 2u);
  std::string timer = Layout(*types, found["context.timerCtx"]);
  std::string cancel = Layout(*types, found["context.cancelCtx"]);
  if (c.go.second == 20) {
    // Go 1.20 embeds a *pointer* to the cancelCtx (go-internals.md §7 has it by value).
    EXPECT_EQ(timer, "cancelCtx:*context.cancelCtx@0 timer:*time.Timer@8 deadline:time.Time@16");
  } else {
    EXPECT_TRUE(timer.starts_with("cancelCtx:context.cancelCtx@0 ")) << timer;
  }
  EXPECT_TRUE(cancel.starts_with("Context:context.Context@0 mu:sync.Mutex@16 ")) << cancel;
}

INSTANTIATE_TEST_SUITE_P(Npm, RuntimeTypesNpmTest, ::testing::ValuesIn(kCases));

TEST(DecodeRuntimeName, BothLengthEncodings) {
  const uint8_t varint[] = {0x03, 0x05, 'a', '.', 'b', 'c', 'd', 'x'};
  EXPECT_EQ(DecodeRuntimeName(varint, true), "a.bcd");
  const uint8_t two_bytes[] = {0x03, 0x00, 0x05, 'a', '.', 'b', 'c', 'd'};
  EXPECT_EQ(DecodeRuntimeName(two_bytes, false), "a.bcd");
  // A length reaching past the bytes, or a varint that never ends, is not a name.
  const uint8_t cut[] = {0x01, 0x09, 'a', 'b'};
  EXPECT_FALSE(DecodeRuntimeName(cut, true).has_value());
  const uint8_t endless[] = {0x01, 0xff, 0xff};
  EXPECT_FALSE(DecodeRuntimeName(endless, true).has_value());
  EXPECT_FALSE(DecodeRuntimeName({}, false).has_value());
}

// gotap's own fixture, built by Go 1.19 with and without symbols: the same types either way.
TEST(RuntimeTypesFixture, StrippedAndDefaultAgree) {
  std::map<std::string, uint64_t> seen[2];
  const char* variants[] = {"ctxerr.default", "ctxerr.stripped"};
  for (int i = 0; i < 2; ++i) {
    auto binary = Binary::Open(testing::FixturePath(variants[i]));
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    auto types = RuntimeTypes::Load(**binary);
    ASSERT_TRUE(types.ok()) << types.status().ToString();
    seen[i] = types->FindTypes({"*fmt.wrapError", "*fs.PathError", "*context.emptyCtx",
                                "main.ctxKey", "*context.valueCtx", "no.such"});
    EXPECT_EQ(seen[i].size(), 5u) << variants[i];
    EXPECT_FALSE(seen[i].count("no.such"));
  }
  EXPECT_EQ(seen[0], seen[1]);
}

}  // namespace
}  // namespace gotap::gobin
