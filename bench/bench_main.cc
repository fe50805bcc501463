// gotap_bench: the benchmarks that need gotap's libraries rather than its command line (root).
//   gotap_bench calls BINARY FUNCTION MODE CALLS RUNS [--stats]
//     MODE: none|count|empty|full|full-map (full-map: every shadow stack in the LRU map, the
//     program's path before goroutine slots and for goroutines whose slot is taken)
//   gotap_bench attach BINARY GLOB RUNS
// Results are JSON lines on stdout; bench/run.sh runs them beside the other tools.
#include <signal.h>

#include <cstdlib>
#include <string>

#include "attach_cost.h"
#include "bench_util.h"
#include "call_cost.h"

namespace gotap::bench {
namespace {

constexpr const char* kUsage =
    "usage: gotap_bench calls BINARY FUNCTION none|count|empty|full|full-map CALLS RUNS "
    "[--stats]\n"
    "       gotap_bench attach BINARY GLOB RUNS";

int Main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a target that exits early must not kill the benchmark
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "calls" && (argc == 7 || (argc == 8 && std::string(argv[7]) == "--stats"))) {
    CallCostOptions o;
    o.binary = argv[2];
    o.function = argv[3];
    std::string mode = argv[4];
    if (mode == "none") {
      o.mode = ProbeMode::kNone;
    } else if (mode == "count") {
      o.mode = ProbeMode::kCount;
    } else if (mode == "empty") {
      o.mode = ProbeMode::kEmpty;
    } else if (mode == "full") {
      o.mode = ProbeMode::kFull;
    } else if (mode == "full-map") {
      o.mode = ProbeMode::kFull;
      o.goroutine_slots = 0;
    } else {
      Die(std::string("unknown mode ") + mode + "\n" + kUsage);
    }
    o.calls = std::strtoull(argv[5], nullptr, 10);
    o.runs = std::atoi(argv[6]);
    o.run_stats = argc == 8;
    RunCallCost(o);
    return 0;
  }
  if (command == "attach" && argc == 5) {
    AttachCostOptions o;
    o.binary = argv[2];
    o.glob = argv[3];
    o.runs = std::atoi(argv[4]);
    RunAttachCost(o);
    return 0;
  }
  Die(kUsage);
}

}  // namespace
}  // namespace gotap::bench

int main(int argc, char** argv) { return gotap::bench::Main(argc, argv); }
