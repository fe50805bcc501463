// arch::X86UprobeRefusal on hand-picked encodings (its agreement with the running kernel over
// hundreds of encodings is tests/bpf/refused_sites_bpf_test.cc), and the plan-time screen that
// leaves out the functions with such a site (trace::DropRefusedSites through PlanTrace).
#include "arch/uprobe_check.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gobin/binary.h"
#include "probe/selector.h"
#include "test_paths.h"
#include "trace/plan.h"

namespace gotap {
namespace {

std::optional<std::string> Check(std::vector<uint8_t> bytes) {
  return arch::X86UprobeRefusal(Bytes(bytes));
}

TEST(ArchUprobeCheckTest, AcceptsWhatGoEmitsAtProbeSites) {
  EXPECT_EQ(Check({0xc3}), std::nullopt);                    // ret
  EXPECT_EQ(Check({0xf3, 0xc3}), std::nullopt);              // rep ret
  EXPECT_EQ(Check({0x55}), std::nullopt);                    // push rbp
  EXPECT_EQ(Check({0x76, 0x10}), std::nullopt);              // jbe rel8
  EXPECT_EQ(Check({0x0f, 0x86, 1, 0, 0, 0}), std::nullopt);  // jbe rel32
  EXPECT_EQ(Check({0x49, 0x3b, 0x66, 0x10}), std::nullopt);  // cmp rsp, [r14+16]
  EXPECT_EQ(Check({0x48, 0x83, 0xec, 0x18}), std::nullopt);  // sub rsp, 24
  EXPECT_EQ(Check({0x64, 0x48, 0x8b, 0x0c, 0x25, 0xf8, 0xff, 0xff, 0xff}),
            std::nullopt);                                         // mov rcx, fs:[-8]
  EXPECT_EQ(Check({0x66, 0x90}), std::nullopt);                    // xchg ax, ax
  EXPECT_EQ(Check({0x0f, 0x0b}), std::nullopt);                    // ud2: 0f escape accepted
  EXPECT_EQ(Check({0xc4, 0xe2, 0x7d, 0x5a, 0x00}), std::nullopt);  // vbroadcasti128
  EXPECT_EQ(Check({0x48, 0xc5, 0x00}), std::nullopt);              // after REX, c5 is no VEX prefix
  EXPECT_EQ(Check({0x8e, 0xd8}), std::nullopt);  // mov ds, eax: only ss masks exceptions
}

TEST(ArchUprobeCheckTest, RefusesTrapsPrefixesAndSystemOpcodes) {
  EXPECT_EQ(Check({0xcd, 0x03}), "int n (cd)");  // runtime.abort's first instruction
  EXPECT_EQ(Check({0xcc}), "int3 (cc)");
  EXPECT_EQ(Check({0xf4}), "hlt (f4)");
  EXPECT_EQ(Check({0xf0, 0x48, 0x0f, 0xc1, 0x01}), "lock prefix (f0)");  // lock xadd
  EXPECT_EQ(Check({0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}), "cs segment prefix (2e)");
  EXPECT_EQ(Check({0x8e, 0xd0}), "mov to ss (8e /2)");
  EXPECT_EQ(Check({0x66, 0x75, 0x02}), "operand-size prefix (66) on a relative branch (opcode 75)");
  EXPECT_EQ(Check({0x66, 0x0f, 0x85, 0, 0}),
            "operand-size prefix (66) on a relative branch (opcode 0f)");
  // VEX/EVEX: the byte after the prefix is looked up as a one-byte opcode (6f is outs).
  auto vmovdqu = Check({0xc5, 0xfe, 0x6f, 0x06});
  ASSERT_TRUE(vmovdqu.has_value());
  EXPECT_NE(vmovdqu->find("VEX-encoded opcode 6f"), std::string::npos) << *vmovdqu;
  EXPECT_TRUE(Check({0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x00}).has_value());  // EVEX vmovdqu64
  EXPECT_TRUE(Check({0x48, 0x62, 0x00}).has_value());  // after REX, 62 is the invalid opcode
}

TEST(ArchUprobeCheckTest, TruncatedBytesAreNotJudged) {
  EXPECT_EQ(Check({}), std::nullopt);
  EXPECT_EQ(Check({0x66, 0x48}), std::nullopt);  // prefixes only
  EXPECT_EQ(Check({0xc5, 0xfe}), std::nullopt);  // VEX without its opcode
  EXPECT_TRUE(Check({0xf0}).has_value());        // a lock prefix is refused whatever follows
  std::vector<uint8_t> prefixes(20, 0x66);       // past 15 bytes nothing is read
  EXPECT_EQ(Check(prefixes), std::nullopt);
}

TEST(TracePlanRefusedSitesTest, FunctionWithRefusedSiteIsLeftOutWithAWarning) {
  auto binary = gobin::Binary::Open(testing::FixturePath("adder.default"));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  std::vector<probe::Selector> selectors;
  for (const char* text : {"runtime.abort", "main.add"}) {
    auto selector = probe::ParseSelector(text);
    ASSERT_TRUE(selector.ok()) << selector.status().ToString();
    selectors.push_back(*selector);
  }
  auto plan = trace::PlanTrace(**binary, selectors, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->functions.size(), 2u);
  ASSERT_EQ(plan->specs.size(), plan->file_offsets.size());
  for (const trace::TracedFunction& fn : plan->functions) {
    size_t sites = 0;
    for (const gotap_site_spec& spec : plan->specs) sites += spec.func_id == fn.func_id;
    if (fn.name == "runtime.abort") {
      EXPECT_EQ(sites, 0u);
      EXPECT_NE(fn.untraced.find("int n (cd)"), std::string::npos) << fn.untraced;
      EXPECT_NE(fn.untraced.find("entry site 0x"), std::string::npos) << fn.untraced;
    } else {
      EXPECT_EQ(fn.name, "main.add");
      EXPECT_GE(sites, 2u);  // entry (and morestack) and its RET
      EXPECT_TRUE(fn.untraced.empty()) << fn.untraced;
    }
  }
  size_t warnings = 0;
  for (const std::string& w : plan->warnings) {
    warnings += w.starts_with("not tracing runtime.abort: the kernel refuses a uprobe");
  }
  EXPECT_EQ(warnings, 1u);
}

}  // namespace
}  // namespace gotap
