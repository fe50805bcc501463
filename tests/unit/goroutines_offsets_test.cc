// The per-version runtime.g/m offset table against ground truth: the DWARF of a Go 1.19 build,
// gobin's goid table, and the shape of the table across versions.
#include <gtest/gtest.h>

#include "gobin/binary.h"
#include "gobin/goid.h"
#include "gobin/runtime_layout.h"
#include "goroutines_expect.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

std::unique_ptr<Binary> OpenOrDie(const std::string& path) {
  auto b = Binary::Open(path);
  EXPECT_TRUE(b.ok()) << path << ": " << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

TEST(GoroutinesOffsets, Go119TableMatchesDwarf) {
  auto binary = OpenOrDie(testing::FixturePath("gstates.default"));
  ASSERT_NE(binary, nullptr);
  ASSERT_EQ(binary->go_major_minor(), (std::pair{1, 19}));
  auto dwarf = LayoutFromDwarf(*binary);
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();
  EXPECT_EQ(dwarf->source, LayoutSource::kDwarf);
  auto table = LayoutForVersion({1, 19});
  ASSERT_TRUE(table.has_value());
  ExpectSameG(table->g, dwarf->g);
  EXPECT_EQ(table->m.procid, dwarf->m.procid);
  EXPECT_EQ(table->m.locked_ext, dwarf->m.locked_ext);
  EXPECT_EQ(table->m.locked_int, dwarf->m.locked_int);
  EXPECT_EQ(dwarf->m.locked_ext, 616u);
  EXPECT_EQ(dwarf->m.locked_int, 620u);
  EXPECT_EQ(dwarf->g.gopc, 296u);  // go-internals.md §5, verified 1.19
  EXPECT_EQ(dwarf->g.startpc, 312u);
}

TEST(GoroutinesOffsets, StrippedBinaryUsesTypeDataCheckedByTheTable) {
  auto binary = OpenOrDie(testing::FixturePath("gstates.stripped"));
  ASSERT_NE(binary, nullptr);
  EXPECT_FALSE(LayoutFromDwarf(*binary).ok());
  auto layout = ResolveLayout(*binary);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_EQ(layout->source, LayoutSource::kTypeData);
  EXPECT_EQ(layout->table_check, "agrees with the go1.19 table");
  EXPECT_TRUE(layout->disagreements.empty());
  EXPECT_EQ(layout->g.goid, 152u);
}

// A table entry that differs from what the binary says is reported field by field, and the
// binary's value is kept.
TEST(GoroutinesOffsets, DisagreementsNameTheFieldBothValuesAndTheSource) {
  RuntimeLayout derived = *LayoutForVersion({1, 26});
  derived.source = LayoutSource::kTypeData;
  RuntimeLayout table = derived;
  table.g.goid = 160;
  table.m.locked_ext = 624;
  table.g.parent_goid.reset();
  EXPECT_EQ(CompareWithTable(derived, table, {1, 26}),
            (std::vector<std::string>{
                "runtime.g goid offset 152 from type-data disagrees with the go1.26 table (160)",
                "runtime.m lockedExt offset 648 from type-data disagrees with the go1.26 table "
                "(624)",
                "runtime.g parentGoid offset 280 from type-data disagrees with the go1.26 table "
                "(absent)"}));
  EXPECT_TRUE(CompareWithTable(derived, derived, {1, 26}).empty());
}

TEST(GoroutinesOffsets, GoidAgreesWithGobinTableForEveryVersion) {
  for (int minor = 13; minor <= 27; ++minor) {
    auto layout = LayoutForVersion({1, minor});
    ASSERT_TRUE(layout.has_value()) << minor;
    EXPECT_EQ(layout->g.goid, GoidOffsetForVersion({1, minor}).value()) << "1." << minor;
    // atomicstatus, stackLock, goid are consecutive; waitsince follows schedlink.
    EXPECT_EQ(layout->g.atomicstatus + 8, layout->g.goid) << minor;
    EXPECT_EQ(layout->g.goid + 16, layout->g.waitsince) << minor;
    EXPECT_EQ(layout->g.waitsince + 8, layout->g.waitreason) << minor;
    // gopc, ancestors, startpc are consecutive; parentGoid (1.21+) precedes gopc.
    EXPECT_EQ(layout->g.gopc + 16, layout->g.startpc) << minor;
    EXPECT_EQ(layout->g.parent_goid.has_value(), minor >= 21) << minor;
    if (layout->g.parent_goid) {
      EXPECT_EQ(*layout->g.parent_goid + 8, layout->g.gopc) << minor;
    }
    EXPECT_EQ(layout->m.procid, minor >= 25 ? 64u : 72u) << minor;
    EXPECT_EQ(layout->m.locked_int, layout->m.locked_ext + 4) << minor;  // adjacent uint32s
    // Past createstack [32]uintptr, which follows procid in every version.
    EXPECT_GT(layout->m.locked_ext, layout->m.procid + 32 * 8) << minor;
    EXPECT_GT(layout->g.ReadSize(), layout->g.startpc);
  }
  EXPECT_FALSE(LayoutForVersion({1, 12}).has_value());
  EXPECT_FALSE(LayoutForVersion({1, 28}).has_value());
}

TEST(GoroutinesOffsets, TailMovesWhereTheRuntimeChanged) {
  EXPECT_EQ(LayoutForVersion({1, 16})->g.startpc, 296u);  // before runnableStamp/runnableTime
  EXPECT_EQ(LayoutForVersion({1, 17})->g.startpc, 312u);
  EXPECT_EQ(LayoutForVersion({1, 20})->g.lockedm, 232u);
  EXPECT_EQ(LayoutForVersion({1, 21})->g.lockedm, 208u);  // tracer state moved out
  EXPECT_EQ(LayoutForVersion({1, 23})->g.goid, 160u);     // syscallbp
  EXPECT_EQ(LayoutForVersion({1, 23})->g.startpc, 304u);
  EXPECT_EQ(LayoutForVersion({1, 25})->g.sched_bp, 96u);  // gobuf.ret removed
  EXPECT_EQ(LayoutForVersion({1, 26})->g.gopc, 288u);     // fipsOnlyBypass, ditWanted, secret
}

// m.lockedExt per version, from runtime2.go of each release (see layout.cc).
TEST(GoroutinesOffsets, LockedExtMovesWhereTheRuntimeChanged) {
  const std::pair<int, uint64_t> expected[] = {
      {13, 624}, {14, 624}, {15, 616}, {16, 624}, {17, 624}, {18, 616}, {19, 616}, {20, 616},
      {21, 616}, {22, 608}, {23, 608}, {24, 608}, {25, 624}, {26, 648}, {27, 648}};
  for (const auto& [minor, locked_ext] : expected) {
    EXPECT_EQ(LayoutForVersion({1, minor})->m.locked_ext, locked_ext) << "1." << minor;
  }
}

TEST(GoroutinesOffsets, EveryNpmBinaryGetsALayout) {
  for (const char* package :
       {"esbuild-linux-64@0.8.0", "esbuild-linux-64@0.8.57", "esbuild-linux-64@0.14.54",
        "@esbuild+linux-x64@0.20.2", "@esbuild+linux-x64@0.24.2", "@esbuild+linux-arm64@0.24.2"}) {
    auto binary = OpenOrDie(testing::NpmBinaryPath(package));
    ASSERT_NE(binary, nullptr);
    auto layout = ResolveLayout(*binary);
    ASSERT_TRUE(layout.ok()) << package << ": " << layout.status().ToString();
    EXPECT_EQ(layout->source, LayoutSource::kTypeData) << package;  // stripped
    EXPECT_TRUE(layout->disagreements.empty()) << package << ": " << layout->disagreements[0];
    EXPECT_EQ(layout->g.goid, binary->goid_offset().offset) << package;
  }
}

}  // namespace
}  // namespace gotap::gobin
