// Where `gotap trace --count` counts, over every function of real Go binaries
// (testing::RealX86Binaries: fixtures and stripped releases built by Go 1.16 to 1.27): the count
// site is an instruction the kernel emulates (~0.5 µs a hit here, against ~9.5 µs for a
// single-stepped one) wherever the function allows, and its correction is the morestack block's
// CALL. Exactness itself is proven live (tests/e2e/count_bpf_test.cc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arch/uprobe_check.h"
#include "gobin/binary.h"
#include "real_binaries.h"

namespace gotap::arch {
namespace {

// The bytes of the binary's code at link-time address `vaddr`.
Bytes CodeAt(const gobin::Binary& binary, uint64_t vaddr) {
  auto offset = binary.elf().VaddrToFileOffset(vaddr);
  if (!offset) return {};
  return binary.elf().bytes().subspan(*offset);
}

class CountSites : public ::testing::TestWithParam<testing::RealBinary> {};

TEST_P(CountSites, EmulatedWhereverTheFunctionAllows) {
  auto opened = gobin::Binary::Open(GetParam().path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const gobin::Binary& binary = **opened;
  size_t analyzed = 0, emulated = 0, corrected = 0, straight = 0;
  std::vector<std::string> not_emulated;
  for (const gobin::FuncRecord& f : binary.functions()) {
    if (f.name.starts_with("go:") || f.end <= f.entry) continue;
    auto a = binary.Analyze(f);
    if (!a.ok()) continue;
    ++analyzed;
    ASSERT_TRUE(a->IsInstructionBoundary(a->count_site)) << f.name;
    EXPECT_EQ(a->count_site_emulated, X86KernelEmulates(CodeAt(binary, a->count_site))) << f.name;
    emulated += a->count_site_emulated;
    straight += a->count_site_on_straight_line;
    if (a->count_correction_site) {
      ++corrected;
      // The stack check's branch, corrected by the morestack block's call (e8 rel32).
      ASSERT_TRUE(a->stack_check_branch.has_value()) << f.name;
      EXPECT_LE(a->count_site, *a->stack_check_branch) << f.name;
      EXPECT_GE(*a->count_correction_site, *a->morestack_block) << f.name;
      Bytes call = CodeAt(binary, *a->count_correction_site);
      ASSERT_FALSE(call.empty());
      EXPECT_EQ(call[0], 0xe8) << f.name;
    } else if (!a->count_site_on_straight_line) {
      EXPECT_EQ(a->count_site, a->entry_probe) << f.name;
    }
    if (a->count_site_on_straight_line) {
      EXPECT_FALSE(a->has_stack_check) << f.name;
    }
    // A stack check always offers an emulated site: `push rbp` after it, or its branch.
    if (a->has_stack_check && !a->count_site_emulated) not_emulated.push_back(std::string(f.name));
  }
  std::string listed;
  for (size_t i = 0; i < not_emulated.size() && i < 10; ++i) listed += not_emulated[i] + "\n";
  EXPECT_TRUE(not_emulated.empty())
      << not_emulated.size() << " functions with a stack check counted single-stepped:\n"
      << listed;
  std::cout << GetParam().name << ": " << analyzed << " functions, count site emulated in "
            << emulated << " (" << corrected << " corrected by morestack, " << straight
            << " on the straight line)\n";
  // Leaf functions without an emulated instruction before SP moves stay at their entry: in
  // these binaries they are 6-17% of all functions.
  EXPECT_GT(emulated, analyzed * 8 / 10);
}

INSTANTIATE_TEST_SUITE_P(RealBinaries, CountSites, ::testing::ValuesIn(testing::RealX86Binaries()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace gotap::arch
