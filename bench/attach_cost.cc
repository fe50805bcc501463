#include "attach_cost.h"

#include <numeric>
#include <optional>

#include "bench_util.h"
#include "bpf/session.h"
#include "gobin/binary.h"
#include "probe/selector.h"
#include "target_process.h"
#include "trace/plan.h"

namespace gotap::bench {

void RunAttachCost(const AttachCostOptions& options) {
  auto t0 = Clock::now();
  auto binary = Check(gobin::Binary::Open(options.binary), "opening the binary");
  auto t1 = Clock::now();
  probe::Selector selector = Check(probe::ParseSelector(options.glob), "parsing the glob");
  trace::PlanOptions plan_options;
  trace::TracePlan plan = Check(trace::PlanTrace(*binary, {selector}, plan_options), "planning");
  auto t2 = Clock::now();
  size_t entry_only = 0;
  for (const auto& f : plan.functions) entry_only += f.entry_only ? 1 : 0;
  Emit({{"bench", "plan"},
        {"functions", plan.functions.size()},
        {"sites", plan.specs.size()},
        {"entry_only", entry_only},
        {"open_ms", Millis(t1 - t0)},
        {"plan_ms", Millis(t2 - t1)}});

  std::vector<std::string> argv = {options.binary};
  argv.insert(argv.end(), options.target_args.begin(), options.target_args.end());
  TargetProcess target = Check(TargetProcess::Start(argv, ""), "starting the target");
  bpf::SessionOptions session_options;
  session_options.max_sites = static_cast<uint32_t>(plan.specs.size());
  session_options.attach_mode = bpf::AttachMode::kUprobeMulti;
  for (int run = 0; run < options.runs; ++run) {
    auto a = Clock::now();
    std::optional<bpf::Session> session;
    session.emplace(Check(bpf::Session::Create(session_options), "creating the session"));
    uint64_t first = Check(session->AddSites(plan.specs), "adding sites");
    const trace::AttachableSites sites = trace::SitesToAttach(plan);
    std::vector<uint64_t> cookies;
    for (size_t i : sites.spec_index) cookies.push_back(first + i);
    auto b = Clock::now();
    Check(session->Attach(options.binary, sites.file_offsets, cookies, target.pid()), "attaching");
    auto c = Clock::now();
    size_t attached = session->attached_sites();
    session->DetachAll();
    auto d = Clock::now();
    session.reset();
    auto e = Clock::now();
    Emit({{"bench", "attach"},
          {"run", run},
          {"sites", attached},
          {"create_ms", Millis(b - a)},
          {"attach_ms", Millis(c - b)},
          {"detach_ms", Millis(d - c)},
          {"destroy_ms", Millis(e - d)}});
  }
  Check(target.Release(), "releasing the target");
  (void)target.Wait();
}

}  // namespace gotap::bench
