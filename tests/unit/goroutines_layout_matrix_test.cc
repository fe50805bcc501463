// The runtime.g/runtime.m layout read from the runtime's type descriptors against the DWARF of
// the same Go release, over the whole fixture matrix (matrix.txt: every program built by every
// Go toolchain of the matrix). Binaries with DWARF: type data == DWARF field by field, and the
// version table, where it has the release, agrees with DWARF. Stripped binaries: type data ==
// the DWARF of the same program's default build, and with GOTAP_NO_VERSION_TABLES the layout and
// the goid offset still resolve.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "../fixture_matrix.h"
#include "gobin/binary.h"
#include "gobin/goid.h"
#include "gobin/runtime_layout.h"
#include "goroutines_expect.h"

namespace gotap::gobin {
namespace {

using testing::MatrixFixture;

void ExpectSameLayout(const RuntimeLayout& want, const RuntimeLayout& got) {
  ExpectSameG(want.g, got.g);
  EXPECT_EQ(want.m.procid, got.m.procid);
  EXPECT_EQ(want.m.locked_ext, got.m.locked_ext);
  EXPECT_EQ(want.m.locked_int, got.m.locked_int);
}

std::unique_ptr<Binary> Open(const std::string& path) {
  auto b = Binary::Open(path);
  EXPECT_TRUE(b.ok()) << path << ": " << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

std::string ParamName(const ::testing::TestParamInfo<MatrixFixture>& info) {
  return info.param.Name();
}

class LayoutWithDwarf : public ::testing::TestWithParam<MatrixFixture> {};

TEST_P(LayoutWithDwarf, TypeDataEqualsDwarfAndTheTableAgrees) {
  auto binary = Open(GetParam().path);
  ASSERT_NE(binary, nullptr);
  ASSERT_EQ(binary->go_major_minor(), GetParam().MajorMinor());
  auto dwarf = LayoutFromDwarf(*binary);
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();
  auto types = LayoutFromTypeData(*binary);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  EXPECT_EQ(types->source, LayoutSource::kTypeData);
  ExpectSameLayout(*dwarf, *types);
  EXPECT_EQ(binary->goid_offset().source, gobin::GoidSource::kDwarf);
  EXPECT_EQ(binary->goid_offset().offset, dwarf->g.goid);

  auto resolved = ResolveLayout(*binary);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->source, LayoutSource::kDwarf);
  if (auto table = LayoutForVersion(GetParam().MajorMinor())) {
    for (const std::string& d : CompareWithTable(*dwarf, *table, GetParam().MajorMinor())) {
      ADD_FAILURE() << d;
    }
    EXPECT_EQ(GoidOffsetForVersion(GetParam().MajorMinor()), dwarf->g.goid);
    EXPECT_EQ(resolved->table_check, "agrees with the go" + GetParam().version + " table");
  } else {
    EXPECT_EQ(resolved->table_check, "no go" + GetParam().version + " table");
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, LayoutWithDwarf,
                         ::testing::ValuesIn(testing::MatrixFixtures("",
                                                                     {"default", "pie", "cgo"})),
                         ParamName);

class LayoutStripped : public ::testing::TestWithParam<MatrixFixture> {};

TEST_P(LayoutStripped, TypeDataEqualsTheDwarfOfTheDefaultBuild) {
  auto stripped = Open(GetParam().path);
  ASSERT_NE(stripped, nullptr);
  ASSERT_FALSE(stripped->has_dwarf());
  std::string default_path = GetParam().path;
  default_path.replace(default_path.rfind(".stripped"), 9, ".default");
  auto with_dwarf = Open(default_path);
  ASSERT_NE(with_dwarf, nullptr);
  auto dwarf = LayoutFromDwarf(*with_dwarf);
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();

  auto types = LayoutFromTypeData(*stripped);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  ExpectSameLayout(*dwarf, *types);
  auto resolved = ResolveLayout(*stripped);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->source, LayoutSource::kTypeData);
  EXPECT_TRUE(resolved->disagreements.empty()) << resolved->disagreements.front();
  EXPECT_EQ(stripped->goid_offset().offset, dwarf->g.goid);
}

TEST_P(LayoutStripped, ResolvesWithoutVersionTables) {
  testing::ScopedNoVersionTables off;
  auto stripped = Open(GetParam().path);  // a fresh Binary: the goid offset is cached
  ASSERT_NE(stripped, nullptr);
  auto resolved = ResolveLayout(*stripped);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->source, LayoutSource::kTypeData);
  EXPECT_EQ(resolved->table_check, "version tables disabled");
  EXPECT_TRUE(resolved->disagreements.empty());
  const gobin::GoidOffset& goid = stripped->goid_offset();
  EXPECT_TRUE(goid.source == gobin::GoidSource::kCode ||
              goid.source == gobin::GoidSource::kTypeData)
      << goid.ToString();
  EXPECT_FALSE(goid.table_offset.has_value());
  EXPECT_EQ(goid.offset, resolved->g.goid);
}

INSTANTIATE_TEST_SUITE_P(Matrix, LayoutStripped,
                         ::testing::ValuesIn(testing::MatrixFixtures("", {"stripped"})), ParamName);

TEST(LayoutMatrix, CoversEveryVersionOfTheMatrix) {
  std::set<std::string> with_dwarf, stripped;
  for (const MatrixFixture& f : testing::ReadFixtureMatrix()) {
    (f.variant == "stripped" ? stripped : with_dwarf).insert(f.version);
  }
  const std::set<std::string> versions = {"1.19", "1.21", "1.22", "1.23",
                                          "1.24", "1.25", "1.26", "1.27"};
  EXPECT_EQ(with_dwarf, versions);
  EXPECT_EQ(stripped, versions);
}

}  // namespace
}  // namespace gotap::gobin
