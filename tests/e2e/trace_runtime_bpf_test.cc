// Live tracing (root, real BPF) of the Go runtime itself and of whole real programs: every
// function of third-party binaries, where pairing meets everything the runtime does to stacks
// (system stacks per thread, signal stacks, mcall/gogo switches, morestack restarts, Duff's
// devices, functions that are one RET, tail jumps). The binaries are stripped releases from npm:
// esbuild 0.24.2 (Go 1.23) and lefthook 2.2.4 (Go 1.27).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "../unit/test_paths.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// N of the summary's loss line "  N <what>...", 0 when there is no such line.
uint64_t SummaryCount(const std::string& err, const std::string& what) {
  std::smatch m;
  std::regex line("\\n  ([0-9]+) " + what);
  return std::regex_search(err, m, line) ? std::stoull(m[1]) : 0;
}

// What a whole-runtime trace must show: calls on system stacks stay on their thread, nothing is
// taken for a panic, every return met its entry, and the runtime's functions that leave
// without returning say why.
void ExpectRuntimePairing(const TraceRun& t) {
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(CommandExitStatus(t.run.err), 0) << t.run.err;
  auto summary = ParseSummary(t.run.err);
  ASSERT_TRUE(summary) << t.run.err;
  EXPECT_EQ(summary->lost, 0u) << t.run.err;
  EXPECT_EQ(summary->unwound, 0u) << "no panic ran; nothing was unwound:\n" << t.run.err;
  EXPECT_EQ(t.run.err.find("abandoned on system stacks"), std::string::npos) << t.run.err;
  // Nothing ran before attach: a return without its entry means a counted, dropped entry hit (its
  // CPU's scratch space was busy, or g was unreadable: an untouched page of runtime.g0 during
  // start-up, a signal handler off g's stack). Every such return is accounted for.
  EXPECT_LE(
      SummaryCount(t.run.err, "returns without a traced entry"),
      SummaryCount(t.run.err, "hits dropped") + SummaryCount(t.run.err, "hits without a goroutine"))
      << t.run.err;

  size_t system = 0, mcall = 0;
  for (const Json& e : t.events) {
    ASSERT_NE(e["event"], "unwound") << e.dump();
    if (e.value("system_stack", false)) {
      ++system;
      EXPECT_EQ(e["goid"], 0) << e.dump();
      if (e.contains("return_tid")) EXPECT_EQ(e["return_tid"], e["tid"]) << e.dump();
    }
    if (e["func"] == "runtime.mcall") {
      ++mcall;
      EXPECT_EQ(e["event"], "entry") << e.dump();
      EXPECT_NE(e.value("no_return", "").find("resumes later"), std::string::npos) << e.dump();
    }
  }
  EXPECT_GT(system, 100u) << "the runtime runs much on system stacks";
  EXPECT_GT(mcall, 0u) << "goroutines parked";
}

class RuntimeTraceBpf : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/gotap-e2e-runtime-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::string entry;
    for (int i = 0; i < 30; ++i) {
      std::ofstream(dir_ + "/m" + std::to_string(i) + ".js")
          << "export function f" << i << "(x) { return x.map(y => y * " << i
          << ").filter(Boolean).join(',') + '" << i << "'; }\n";
      entry += "import {f" + std::to_string(i) + "} from './m" + std::to_string(i) + ".js';\n";
      files_.push_back("/m" + std::to_string(i) + ".js");
    }
    std::ofstream(dir_ + "/in.js") << entry << "console.log([f0, f1, f29].map(f => f([1, 2])));\n";
    files_.push_back("/in.js");
    files_.push_back("/out.js");
  }
  void TearDown() override {
    for (const std::string& f : files_) unlink((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(RuntimeTraceBpf, RuntimeGlobDuringEsbuildBundle) {
  std::string esbuild = NpmBinaryPath("@esbuild+linux-x64@0.24.2");
  ASSERT_TRUE(FileExists(esbuild)) << esbuild << ": run scripts/setup.sh";
  // runtime.publicationBarrier is one RET: its entry site is its exit.
  RunResult funcs = RunGotap({"funcs", "--json", esbuild, "runtime.publicationBarrier"});
  ASSERT_EQ(funcs.exit_code, 0) << funcs.err;
  Json barrier = Json::parse(funcs.out.substr(0, funcs.out.find('\n')));
  ASSERT_EQ(barrier["returns"].size(), 1u) << barrier.dump();
  ASSERT_EQ(barrier["entry_probe"], barrier["returns"][0]) << barrier.dump();

  TraceRun t = RunTraceJson(
      {"runtime.*", "--", esbuild, dir_ + "/in.js", "--bundle", "--outfile=" + dir_ + "/out.js"});
  ExpectRuntimePairing(t);
  std::ifstream out_js(dir_ + "/out.js");
  std::string bundle((std::istreambuf_iterator<char>(out_js)), std::istreambuf_iterator<char>());
  EXPECT_NE(bundle.find("function f29"), std::string::npos) << "the bundle was made";

  // Duff's devices are entered in the middle: left out, and said so.
  EXPECT_NE(t.run.err.find("not tracing runtime.duffzero: callers jump into its middle"),
            std::string::npos)
      << t.run.err;
  size_t barriers = 0, tail_calls = 0;
  std::map<std::string, size_t> no_return;
  for (const Json& e : t.events) {
    if (e["func"] == "runtime.publicationBarrier") {
      ++barriers;
      EXPECT_EQ(e["event"], "call") << e.dump();
    }
    if (e.value("tail_call", false)) {
      ++tail_calls;
      EXPECT_TRUE(e["results"].empty()) << e.dump();
    }
    if (e["event"] == "entry") ++no_return[e.value("no_return", "")];
  }
  EXPECT_GT(barriers, 100u) << "every allocation publishes";
  EXPECT_GT(tail_calls, 0u) << "runtime.memequal & co. leave by tail jumps";
  EXPECT_GT(no_return["grows the stack and restarts its caller from the top"], 0u)
      << "stacks grew during the bundle";
}

TEST_F(RuntimeTraceBpf, EveryFunctionOfAGo127Program) {
  std::string lefthook = NpmPackageFile("lefthook-linux-x64@2.2.4", "bin/lefthook");
  ASSERT_TRUE(FileExists(lefthook)) << lefthook << ": run scripts/setup.sh";

  // Counting: one site per function, more than the 4,096 counters and 5,000-function glob limit
  // gotap once had; main.main and runtime.main run exactly once.
  RunResult count = RunGotapWithin({"trace", "--count", "--json", "*", "--", lefthook, "version"},
                                   std::chrono::seconds(90));
  ASSERT_EQ(count.exit_code, 0) << count.err;
  std::map<std::string, uint64_t> counts;
  bool saw_version = false;
  for (const std::string& line : Lines(count.out)) {
    saw_version |= line == "2.2.4";  // lefthook's own output, on the same stdout
    Json row = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_object()) counts[row["func"]] = row["count"];
  }
  EXPECT_TRUE(saw_version) << count.out.substr(0, 200);
  EXPECT_GT(counts.size(), 10000u);
  EXPECT_EQ(counts["main.main"], 1u);
  EXPECT_EQ(counts["runtime.main"], 1u);

  // Tracing the same selection: every call paired, main.main once.
  TraceRun t = RunTraceJson({"*", "--", lefthook, "version"});
  ExpectRuntimePairing(t);
  std::vector<Json> mains = EventsOf(t.events, "main.main");
  ASSERT_EQ(mains.size(), 1u);
  EXPECT_EQ(mains[0]["event"], "call") << mains[0].dump();
  EXPECT_EQ(mains[0]["level"], 1) << "inside runtime.main, traced too";
}

}  // namespace
}  // namespace gotap::testing
