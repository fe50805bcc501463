// DWARF and pclntab describe the same binary; where they overlap they must agree: function
// names and entries, the end of the prologue, and where functions were inlined.
#include <gtest/gtest.h>

#include "gobin/binary.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

class DwarfAgreementTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto binary = Binary::Open(testing::FixturePath("model." + GetParam()));
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    binary_ = std::move(binary).value();
    auto info = binary_->dwarf();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    dwarf_ = *info;
  }
  std::unique_ptr<Binary> binary_;
  const dwarf::DwarfInfo* dwarf_ = nullptr;
};

TEST_P(DwarfAgreementTest, FunctionsHaveTheSameNamesAndRanges) {
  size_t checked = 0;
  uint64_t text_begin = binary_->functions().front().entry;
  uint64_t text_end = binary_->functions().back().end;
  for (const dwarf::Function& f : dwarf_->functions()) {
    if (f.low_pc < text_begin || f.low_pc >= text_end) continue;  // C code of cgo binaries
    const FuncRecord* record = binary_->FunctionAt(f.low_pc);
    ASSERT_NE(record, nullptr) << f.name;
    EXPECT_EQ(record->entry, f.low_pc) << f.name;
    EXPECT_LE(f.high_pc, record->end) << f.name;
    EXPECT_EQ(binary_->Name(*record), f.name);
    ++checked;
  }
  EXPECT_GT(checked, 1000u);
}

// The once-per-call entry site found by disassembly is where DWARF says the prologue ends.
TEST_P(DwarfAgreementTest, EntryProbeIsPrologueEnd) {
  size_t checked = 0;
  for (const dwarf::Function& f : dwarf_->functions()) {
    if (!f.prologue_end) continue;
    const FuncRecord* record = binary_->FunctionAt(f.low_pc);
    ASSERT_NE(record, nullptr);
    auto analysis = binary_->Analyze(*record);
    ASSERT_TRUE(analysis.ok()) << analysis.status().ToString();
    if (!analysis->has_stack_check) continue;
    EXPECT_EQ(analysis->entry_probe, *f.prologue_end) << f.name;
    ++checked;
  }
  EXPECT_GT(checked, 500u);
}

// Every inlined copy pclntab records is an inlined subroutine in DWARF covering that pc, and the
// functions pclntab says exist only inlined have no concrete body in DWARF.
TEST_P(DwarfAgreementTest, InlinedCopiesAgree) {
  const InlineIndex& inlines = binary_->inlines();
  size_t checked = 0;
  for (std::string_view name : inlines.inlined_only()) {
    EXPECT_FALSE(dwarf_->HasConcreteBody(name)) << name;
    for (const InlineSite& site : *inlines.SitesOf(name)) {
      bool covered = false;
      for (const dwarf::InlinedCall* call : dwarf_->InlinedCallsOf(name)) {
        for (const dwarf::PcRange& r : call->ranges)
          covered |= r.low <= site.pc && site.pc < r.high;
      }
      EXPECT_TRUE(covered) << name << " at " << std::hex << site.pc;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
  const auto* small = inlines.SitesOf("main.small");
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->size(), dwarf_->InlinedCallsOf("main.small").size());
  EXPECT_TRUE(dwarf_->IsAbstractOnly("main.small"));
}

TEST_P(DwarfAgreementTest, GoidOffsetFromDwarfMatchesCode) {
  EXPECT_EQ(binary_->goid_offset().source, GoidSource::kDwarf);
  EXPECT_EQ(binary_->goid_offset().offset, 152u);
  EXPECT_EQ(binary_->goid_offset().table_offset, 152u);
}

INSTANTIATE_TEST_SUITE_P(Go119, DwarfAgreementTest,
                         ::testing::Values("default", "pie", "cgo", "arm64"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gotap::gobin
