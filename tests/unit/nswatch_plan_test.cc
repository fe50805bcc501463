// Where gotap ns probes the nshygiene fixture, and the runtime layout it reads there: DWARF and
// goroutines' per-version table must agree, so stripped binaries are read correctly.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "nswatch/ns_plan.h"
#include "nswatch/runtime_offsets.h"
#include "test_paths.h"

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
  auto layout = gobin::LayoutForVersion({1, 19});
  ASSERT_TRUE(layout);
  RuntimeOffsets table = RuntimeOffsetsFromLayout(*layout, 152, -8, {1, 19});
  EXPECT_EQ(table.source, "version-table (go1.19)");
  const gotap_ns_config& c = dwarf->config;
  EXPECT_EQ(c.g_goid, table.config.g_goid);
  EXPECT_EQ(c.g_m, table.config.g_m);
  EXPECT_EQ(c.g_lockedm, table.config.g_lockedm);
  EXPECT_EQ(c.m_lockedext, table.config.m_lockedext);
  EXPECT_EQ(c.m_lockedint, table.config.m_lockedint);
  EXPECT_EQ(c.m_lockedint, c.m_lockedext + 4);  // adjacent uint32s in runtime.m
  EXPECT_EQ(c.tls_g, -8);
  EXPECT_EQ(c.tls_g, binary->runtime().tls_g_offset());
}

TEST(NsRuntimeOffsets, StrippedUsesTypeData) {
  auto binary = OpenFixture("nshygiene.stripped");
  ASSERT_TRUE(binary);
  auto offsets = ResolveRuntimeOffsets(*binary);
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  EXPECT_EQ(offsets->source, "type-data");
  EXPECT_TRUE(offsets->disagreements.empty());
  EXPECT_EQ(offsets->config.g_lockedm, 232u);
  EXPECT_EQ(offsets->config.m_lockedext, 616u);
  EXPECT_EQ(offsets->config.g_goid, binary->goid_offset().offset);
}

// Stripped release builds of Go 1.15 - 1.23 (amd64 and arm64): gotap ns used to know go1.19 only;
// their type data gives the same offsets as the version table.
TEST(NsRuntimeOffsets, StrippedNpmBinariesOfEveryVersion) {
  for (const char* package :
       {"esbuild-linux-64@0.8.0", "esbuild-linux-64@0.8.57", "esbuild-linux-64@0.14.54",
        "@esbuild+linux-x64@0.20.2", "@esbuild+linux-x64@0.24.2", "@esbuild+linux-arm64@0.24.2"}) {
    SCOPED_TRACE(package);
    auto binary = gobin::Binary::Open(testing::NpmBinaryPath(package));
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    auto offsets = ResolveRuntimeOffsets(**binary);
    ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
    auto [major, minor] = (*binary)->go_major_minor();
    EXPECT_EQ(offsets->source, "type-data");
    EXPECT_TRUE(offsets->disagreements.empty());
    auto layout = gobin::LayoutForVersion({major, minor});
    ASSERT_TRUE(layout);
    EXPECT_EQ(offsets->config.g_lockedm, layout->g.lockedm);
    EXPECT_EQ(offsets->config.m_lockedext, layout->m.locked_ext);
    EXPECT_EQ(offsets->config.m_lockedint, layout->m.locked_int);
    EXPECT_EQ(offsets->config.g_goid, (*binary)->goid_offset().offset);
    EXPECT_EQ(offsets->config.g_m, 48u);
  }
}

TEST(NsRuntimeOffsets, SourceNamesDwarfOrTheTableEntry) {
  gobin::RuntimeLayout layout = *gobin::LayoutForVersion({1, 22});
  RuntimeOffsets table = RuntimeOffsetsFromLayout(layout, 152, -8, {1, 22});
  EXPECT_EQ(table.source, "version-table (go1.22)");
  EXPECT_EQ(table.config.m_lockedext, 608u);
  EXPECT_EQ(table.ToString(),
            "g.goid=152 g.m=48 g.lockedm=208 m.lockedExt=608 m.lockedInt=612 "
            "(version-table (go1.22))");
  layout.source = gobin::LayoutSource::kDwarf;
  EXPECT_EQ(RuntimeOffsetsFromLayout(layout, 152, -8, {1, 22}).source, "dwarf");
  layout.source = gobin::LayoutSource::kTypeData;
  EXPECT_EQ(RuntimeOffsetsFromLayout(layout, 152, -8, {1, 22}).source, "type-data");
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
