// The trace planner's sites for the functions the runtime makes hard to pair (unprivileged: the
// plan is data; tests/e2e/trace_runtime_bpf_test.cc runs them live): a function that is one RET,
// tail jumps, functions that never return by their RET, Duff's devices, assembly's g, counting
// sites, and the one site limit shared by every mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gobin/binary.h"
#include "probe/selector.h"
#include "test_paths.h"
#include "trace/plan.h"

namespace gotap::trace {
namespace {

std::unique_ptr<gobin::Binary> Open(const std::string& fixture) {
  auto binary = gobin::Binary::Open(testing::FixturePath(fixture));
  EXPECT_TRUE(binary.ok()) << binary.status().ToString();
  return binary.ok() ? std::move(binary).value() : nullptr;
}

StatusOr<TracePlan> Plan(const gobin::Binary& binary, const std::vector<std::string>& probes,
                         PlanOptions options = {}) {
  std::vector<probe::Selector> selectors;
  for (const std::string& p : probes) {
    auto s = probe::ParseSelector(p);
    if (!s.ok()) return s.status();
    selectors.push_back(*s);
  }
  return PlanTrace(binary, selectors, options);
}

std::vector<const gotap_site_spec*> SpecsOf(const TracePlan& plan, const std::string& name) {
  std::vector<const gotap_site_spec*> out;
  for (const gotap_site_spec& spec : plan.specs) {
    if (plan.functions[spec.func_id].name == name) out.push_back(&spec);
  }
  return out;
}

TEST(TracePlanTest, AFunctionThatIsOneRetChainsItsExitToItsEntry) {
  auto binary = Open("model-go1.27.default");
  ASSERT_TRUE(binary);
  auto plan = Plan(*binary, {"runtime.publicationBarrier"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->specs.size(), 2u);
  const gotap_site_spec& entry = plan->specs[0];
  const gotap_site_spec& exit = plan->specs[1];
  EXPECT_EQ(entry.kind, GOTAP_SITE_ENTRY);
  EXPECT_TRUE(entry.flags & GOTAP_SITE_F_EXIT_HERE);
  EXPECT_EQ(entry.exit_delta, 1u);
  EXPECT_EQ(exit.kind, GOTAP_SITE_RETURN);
  EXPECT_EQ(exit.vaddr, entry.vaddr) << "the same instruction";
  EXPECT_EQ(plan->file_offsets[1], kChainedSite);
  AttachableSites sites = SitesToAttach(*plan);
  EXPECT_EQ(sites.spec_index, std::vector<size_t>{0}) << "one probe at that address, not two";
}

TEST(TracePlanTest, TailJumpsEndTheCallWithoutResults) {
  auto binary = Open("model-go1.27.default");
  ASSERT_TRUE(binary);
  auto plan = Plan(*binary, {"runtime.memequal"});  // RET when equal, else JMP memeqbody
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  size_t rets = 0, tails = 0;
  for (const gotap_site_spec* s : SpecsOf(*plan, "runtime.memequal")) {
    if (s->kind != GOTAP_SITE_RETURN) continue;
    if (s->flags & GOTAP_SITE_F_TAIL_CALL) {
      ++tails;
      EXPECT_EQ(s->ncaptures, 0u);
    } else {
      ++rets;
    }
  }
  EXPECT_GE(rets, 1u);
  EXPECT_GE(tails, 1u);
}

TEST(TracePlanTest, RuntimeFunctionsThatDoNotReturnAreEntryOnlyWithTheReason) {
  auto binary = Open("model-go1.27.default");
  ASSERT_TRUE(binary);
  auto plan = Plan(*binary, {"runtime.mcall", "runtime.morestack", "runtime.goexit1"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  for (const TracedFunction& fn : plan->functions) {
    EXPECT_TRUE(fn.entry_only) << fn.name;
    EXPECT_FALSE(fn.no_return.empty()) << fn.name;
    auto specs = SpecsOf(*plan, fn.name);
    ASSERT_EQ(specs.size(), 1u) << fn.name;
    EXPECT_TRUE(specs[0]->flags & GOTAP_SITE_F_ENTRY_ONLY) << fn.name;
  }
  EXPECT_NE(plan->functions[0].no_return.find("resumes later, from gogo"), std::string::npos);
  // Expected, so not worth a note each.
  for (const std::string& w : plan->warnings) EXPECT_EQ(w.find("no RET"), std::string::npos) << w;
}

TEST(TracePlanTest, DuffsDevicesAreLeftOutWithTheReason) {
  auto binary = Open("model.default");
  ASSERT_TRUE(binary);
  auto plan = Plan(*binary, {"runtime.duffzero", "main.main"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(SpecsOf(*plan, "runtime.duffzero").empty());
  EXPECT_NE(plan->functions[0].untraced.find("Duff's device"), std::string::npos);
  EXPECT_FALSE(SpecsOf(*plan, "main.main").empty());
}

TEST(TracePlanTest, AssemblyReadsGFromThreadLocalStorage) {
  auto binary = Open("model-go1.27.default");
  ASSERT_TRUE(binary);
  auto plan = Plan(*binary, {"runtime.systemstack", "main.main"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  for (const gotap_site_spec* s : SpecsOf(*plan, "runtime.systemstack")) {
    EXPECT_EQ(s->g_source, GOTAP_G_TLS);
  }
  for (const gotap_site_spec* s : SpecsOf(*plan, "main.main")) {
    EXPECT_EQ(s->g_source, GOTAP_G_REG) << "compiled Go keeps g in R14";
  }
  // systemstack leaves by `JMP DI` when already on the system stack: an exit too.
  size_t tails = 0;
  for (const gotap_site_spec* s : SpecsOf(*plan, "runtime.systemstack")) {
    tails += s->kind == GOTAP_SITE_RETURN && (s->flags & GOTAP_SITE_F_TAIL_CALL);
  }
  EXPECT_GE(tails, 1u);
}

TEST(TracePlanTest, Go119CountsAtTheStackCheckMinusMorestack) {
  auto binary = Open("model.default");
  ASSERT_TRUE(binary);
  PlanOptions options;
  options.count_only = true;
  auto plan = Plan(*binary, {"main.main"}, options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto specs = SpecsOf(*plan, "main.main");
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0]->kind, GOTAP_SITE_COUNT);
  EXPECT_EQ(specs[0]->flags, 0u);
  EXPECT_EQ(specs[1]->kind, GOTAP_SITE_COUNT);
  EXPECT_EQ(specs[1]->flags, GOTAP_SITE_F_UNCOUNT);
  EXPECT_LT(specs[0]->vaddr, specs[1]->vaddr) << "the branch, then the morestack call";
}

TEST(TracePlanTest, OneSiteLimitForEveryMode) {
  auto binary = Open("model.default");
  ASSERT_TRUE(binary);
  for (int mode = 0; mode < 3; ++mode) {
    PlanOptions options;
    options.count_only = mode == 1;
    options.histogram = mode == 2;
    options.max_sites = 50;
    auto plan = Plan(*binary, {"runtime.*"}, options);
    ASSERT_FALSE(plan.ok()) << "mode " << mode;
    EXPECT_NE(plan.status().message().find("probe sites"), std::string::npos)
        << plan.status().message();
    EXPECT_NE(plan.status().message().find("narrow it"), std::string::npos)
        << plan.status().message();
    options.max_sites = bpf::kMaxSites;
    EXPECT_TRUE(Plan(*binary, {"runtime.*"}, options).ok()) << "mode " << mode;
  }
}

}  // namespace
}  // namespace gotap::trace
