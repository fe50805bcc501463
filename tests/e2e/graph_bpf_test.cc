// `gotap graph` and `gotap record` on calltree, whose call tree per goroutine is known:
//   outer(w) { middle(w, 0) { leaf(10w) } middle(w, 1) { leaf(10w+1) } }
// middle(w, 0) sleeps, so the goroutine parks mid-tree and often resumes on another thread.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

const std::vector<std::string> kProbes = {"main.outer", "main.middle", "main.leaf"};

std::vector<std::string> GraphArgs(const std::string& calltree, std::vector<std::string> options,
                                   const std::vector<std::string>& fixture_args) {
  std::vector<std::string> args = {"graph"};
  args.insert(args.end(), options.begin(), options.end());
  args.insert(args.end(), kProbes.begin(), kProbes.end());
  args.push_back("--");
  args.push_back(calltree);
  args.insert(args.end(), fixture_args.begin(), fixture_args.end());
  return args;
}

// "level:func(args)" per call of one goroutine, in the order the graph lists them.
using Tree = std::vector<std::string>;

Tree ExpectedTree(int w) {
  return {fmt::format("0:main.outer(w={})", w), fmt::format("1:main.middle(w={}, i=0)", w),
          fmt::format("2:main.leaf(x={})", 10 * w), fmt::format("1:main.middle(w={}, i=1)", w),
          fmt::format("2:main.leaf(x={})", 10 * w + 1)};
}

std::string Describe(const Json& e) {
  std::string args;
  for (const Json& a : e["args"]) {
    args += fmt::format("{}{}={}", args.empty() ? "" : ", ", a["name"].get<std::string>(),
                        a["value"].dump());
  }
  return fmt::format("{}:{}({})", e["level"].get<int>(), e["func"].get<std::string>(), args);
}

// On every Go release of the matrix (DWARF builds).
class GraphBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(GraphBpf, "default");

TEST_P(GraphBpf, EachGoroutineGetsItsExactCallTree) {
  std::string file = ::testing::TempDir() + "gotap-graph.jsonl";
  RunResult r =
      RunGotapWithin(GraphArgs(GoFixture("calltree"), {"--json", "-o", file}, {"-g", "8"}),
                     std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CommandExitStatus(r.err), 0) << r.err;
  std::vector<Json> events = ParseJsonLines(ReadText(file));
  ASSERT_EQ(events.size(), 8u * 5) << r.err;
  // The graph prints one goroutine's whole tree at a time: consecutive runs of one goid.
  std::map<uint64_t, Tree> trees;
  std::vector<uint64_t> order;
  for (const Json& e : events) {
    EXPECT_EQ(e["event"], "call") << e.dump();
    uint64_t goid = e["goid"];
    if (order.empty() || order.back() != goid) order.push_back(goid);
    trees[goid].push_back(Describe(e));
  }
  EXPECT_EQ(order.size(), 8u) << "a goroutine's calls were split up";
  ASSERT_EQ(trees.size(), 8u);
  std::set<int> workers;
  for (const auto& [goid, tree] : trees) {
    ASSERT_FALSE(tree.empty());
    int w = std::atoi(tree[0].substr(tree[0].find("w=") + 2).c_str());
    workers.insert(w);
    EXPECT_EQ(tree, ExpectedTree(w)) << "goroutine " << goid;
  }
  EXPECT_EQ(workers, (std::set<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary.has_value()) << r.err;
  EXPECT_EQ(summary->calls, 40u);
  EXPECT_EQ(summary->lost, 0u);
}

// The text view of one goroutine, and --min hiding the fast branch: middle(w, 1) and every leaf
// take microseconds, middle(w, 0) sleeps 20ms.
TEST_P(GraphBpf, TextViewNestsAndMinHidesShortCalls) {
  RunResult full =
      RunGotapWithin(GraphArgs(GoFixture("calltree"), {}, {"-g", "1", "-pause", "20ms"}),
                     std::chrono::seconds(90));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  std::vector<std::string> bodies;
  for (const std::string& line : Lines(full.out)) {
    size_t bar = line.find("│ ");
    if (bar != std::string::npos) bodies.push_back(line.substr(bar + std::string("│ ").size()));
  }
  EXPECT_EQ(bodies,
            (std::vector<std::string>{"main.outer(w=1) {", "  main.middle(w=1, i=0) {",
                                      "    main.leaf(x=10) → 31", "  } main.middle → 31",
                                      "  main.middle(w=1, i=1) {", "    main.leaf(x=11) → 34",
                                      "  } main.middle → 34", "} main.outer → 65"}))
      << full.out;
  EXPECT_NE(full.out.find("── goroutine "), std::string::npos) << full.out;

  RunResult min = RunGotapWithin(
      GraphArgs(GoFixture("calltree"), {"--min", "10ms"}, {"-g", "1", "-pause", "20ms"}),
      std::chrono::seconds(90));
  ASSERT_EQ(min.exit_code, 0) << min.err;
  bodies.clear();
  for (const std::string& line : Lines(min.out)) {
    size_t bar = line.find("│ ");
    if (bar != std::string::npos) bodies.push_back(line.substr(bar + std::string("│ ").size()));
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"main.outer(w=1) {", "  main.middle(w=1, i=0) → 31",
                                              "} main.outer → 65"}))
      << min.out;
}

// --goid is a kernel filter: only that goroutine's calls reach userspace at all. The main
// goroutine is always goroutine 1.
TEST_P(GraphBpf, GoidFollowsOneGoroutine) {
  std::string file = ::testing::TempDir() + "gotap-graph-goid.jsonl";
  RunResult r = RunGotapWithin(
      GraphArgs(GoFixture("calltree"), {"--json", "-o", file, "--goid", "1"}, {"-g", "4", "-main"}),
      std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CommandExitStatus(r.err), 0) << r.err;
  std::vector<Json> events = ParseJsonLines(ReadText(file));
  ASSERT_EQ(events.size(), 5u) << r.err;
  Tree tree;
  for (const Json& e : events) {
    EXPECT_EQ(e["goid"], 1) << e.dump();
    tree.push_back(Describe(e));
  }
  EXPECT_EQ(tree, ExpectedTree(0));
  // The other 20 calls were left out in the kernel, and said so.
  EXPECT_NE(r.err.find("filtered"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gotap::testing
