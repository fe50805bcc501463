// Where gotap ns probes the nshygiene fixture, and the runtime layout it reads there: DWARF and
// the per-version table must agree, so stripped binaries are read correctly.
#include <gtest/gtest.h>

#include <algorithm>

#include "nswatch/ns_plan.h"
#include "nswatch/runtime_offsets.h"

namespace gotap::nswatch {
namespace {

std::unique_ptr<gobin::Binary> OpenFixture(const std::string& name) {
  auto binary = gobin::Binary::Open(std::string(GOTAP_FIXTURE_DIR) + "/" + name);
  EXPECT_TRUE(binary.ok()) << binary.status().ToString();
  return binary.ok() ? std::move(binary).value() : nullptr;
}

TEST(NsRuntimeOffsets, DwarfAgreesWithTheGo119Table) {
  auto binary = OpenFixture("nshygiene.default");
  ASSERT_TRUE(binary);
  ASSERT_EQ(binary->go_major_minor(), (std::pair{1, 19}));
  auto dwarf = ResolveRuntimeOffsets(*binary);
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();
  EXPECT_EQ(dwarf->source, "dwarf");
  auto table = RuntimeOffsetsForVersion({1, 19});
  ASSERT_TRUE(table);
  EXPECT_EQ(dwarf->g_goid, table->g_goid);
  EXPECT_EQ(dwarf->g_m, table->g_m);
  EXPECT_EQ(dwarf->g_lockedm, table->g_lockedm);
  EXPECT_EQ(dwarf->m_lockedext, table->m_lockedext);
  EXPECT_EQ(dwarf->m_lockedint, table->m_lockedint);
  EXPECT_EQ(dwarf->m_lockedint, dwarf->m_lockedext + 4);  // adjacent uint32s in runtime.m
  gotap_ns_config c = dwarf->ToConfig();
  EXPECT_EQ(c.tls_g, -8);
  EXPECT_EQ(c.g_lockedm, dwarf->g_lockedm);
}

TEST(NsRuntimeOffsets, StrippedUsesTheTableAndUnknownVersionsFail) {
  auto binary = OpenFixture("nshygiene.stripped");
  ASSERT_TRUE(binary);
  auto offsets = ResolveRuntimeOffsets(*binary);
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  EXPECT_EQ(offsets->source, "version-table (go1.19)");
  EXPECT_EQ(offsets->g_lockedm, 232u);
  EXPECT_FALSE(RuntimeOffsetsForVersion({1, 18}));
  EXPECT_FALSE(RuntimeOffsetsForVersion({1, 22}));
}

size_t CountRole(const NsPlan& plan, uint32_t role) {
  return std::count_if(plan.sites.begin(), plan.sites.end(),
                       [role](const gotap_ns_site& s) { return s.role == role; });
}

void CheckPlan(const std::string& fixture) {
  SCOPED_TRACE(fixture);
  auto binary = OpenFixture(fixture);
  ASSERT_TRUE(binary);
  auto plan = PlanNsWatch(*binary, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->sites.size(), plan->file_offsets.size());
  ASSERT_EQ(plan->sites.size(), plan->vaddrs.size());
  EXPECT_TRUE(plan->warnings.empty()) << plan->warnings.front();
  // The body, and the copy the compiler inlined into main.poison (probed at its first
  // instruction, where the word at the stack pointer is no return address).
  EXPECT_EQ(CountRole(*plan, GOTAP_NS_ROLE_UNLOCK_EXT), 2u);
  bool inlined_in_poison = false;
  for (size_t i = 0; i < plan->sites.size(); ++i) {
    if (plan->sites[i].role != GOTAP_NS_ROLE_UNLOCK_EXT) continue;
    const gobin::FuncRecord* f = binary->FunctionAt(plan->vaddrs[i]);
    ASSERT_NE(f, nullptr);
    if (binary->Name(*f) == "main.poison") {
      inlined_in_poison = true;
      EXPECT_EQ(plan->sites[i].flags & GOTAP_NS_SITE_SP_IS_RET, 0);
    }
  }
  EXPECT_TRUE(inlined_in_poison);
  EXPECT_EQ(CountRole(*plan, GOTAP_NS_ROLE_UNLOCK_INT), 1u);
  EXPECT_EQ(CountRole(*plan, GOTAP_NS_ROLE_NEWPROC), 1u);
  EXPECT_GE(CountRole(*plan, GOTAP_NS_ROLE_NEWPROC1_RET), 1u);
  EXPECT_EQ(CountRole(*plan, GOTAP_NS_ROLE_PROBE), plan->traced_functions);
  // Every main.* function with a body: main, poison, spawner, onPoisonedThread, ...
  std::vector<std::string> traced;
  for (const gotap_ns_site& s : plan->sites) {
    ASSERT_LT(s.func_id, plan->functions.size());
    if (s.role == GOTAP_NS_ROLE_PROBE) traced.push_back(plan->functions[s.func_id]);
    if (s.role == GOTAP_NS_ROLE_NEWPROC1_RET) EXPECT_EQ(s.result_reg, 80);  // pt_regs.ax
    if (s.role != GOTAP_NS_ROLE_PROBE) continue;
    EXPECT_TRUE(s.flags & GOTAP_NS_SITE_SP_IS_RET);
  }
  for (const char* name : {"main.main", "main.poison", "main.onPoisonedThread", "main.spawner",
                           "main.child", "main.cleanSwitch"}) {
    EXPECT_NE(std::find(traced.begin(), traced.end(), name), traced.end()) << name;
  }
  for (size_t i = 0; i < plan->sites.size(); ++i) {
    const gobin::FuncRecord* f = binary->FunctionAt(plan->vaddrs[i]);
    ASSERT_NE(f, nullptr);
    if (plan->sites[i].role == GOTAP_NS_ROLE_NEWPROC1_RET) {
      EXPECT_EQ(binary->Name(*f), "runtime.newproc1");
    } else if (plan->sites[i].flags & GOTAP_NS_SITE_SP_IS_RET) {
      EXPECT_EQ(binary->Name(*f), plan->functions[plan->sites[i].func_id]);
    }
  }
}

TEST(NsPlan, SitesOfTheFixture) {
  CheckPlan("nshygiene.default");
  CheckPlan("nshygiene.stripped");
  CheckPlan("nshygiene.pie");
}

TEST(NsPlan, PatternsAddFunctionsAndTypoFails) {
  auto binary = OpenFixture("nshygiene.default");
  ASSERT_TRUE(binary);
  auto base = PlanNsWatch(*binary, {});
  auto more = PlanNsWatch(*binary, {"main.*", "os.Readlink"});
  ASSERT_TRUE(base.ok() && more.ok());
  EXPECT_EQ(more->traced_functions, base->traced_functions + 1);
  auto runtime_only = PlanNsWatch(*binary, {"runtime.*"});
  ASSERT_TRUE(runtime_only.ok());
  EXPECT_EQ(runtime_only->traced_functions, 0u);  // the runtime is never a poisoned-use probe
  auto typo = PlanNsWatch(*binary, {"main.nosuch"});
  EXPECT_EQ(typo.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(PlanNsWatch(*binary, {"*"}, 10).ok());
}

}  // namespace
}  // namespace gotap::nswatch
