// gotap goroutines -p PID against the target's own view: the gstates fixture parks goroutines
// in known states and, on SIGUSR1, writes runtime.Stack(buf, true); gotap's listing must agree
// with that dump (goids, states and wait reasons, locked-to-thread, creators, frames with their
// pc offsets) for every Go version of the fixture matrix (matrix.txt), default, stripped and PIE
// builds, and for the stripped ones also with GOTAP_NO_VERSION_TABLES=1 (the runtime layout then
// comes from the binary's type data only). No BPF: reads memory with process_vm_readv (root, or
// a child of ours).
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../fixture_matrix.h"
#include "run_gotap.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;

std::string FixturePath(const std::string& name) {
  return std::string(GOTAP_FIXTURE_DIR) + "/" + name;
}

// One goroutine of a runtime.Stack dump (GOTRACEBACK=single: runtime internals and wrappers
// hidden, non-system goroutines only).
struct DumpedGoroutine {
  int64_t goid = 0;
  std::string state;  // "chan receive"
  bool locked = false;
  struct Frame {
    std::string func, file_line, offset;  // offset "+0x1b", empty for inlined frames
  };
  std::vector<Frame> frames;
  std::string created_by;
};

// Parses "goroutine 7 [chan receive, locked to thread]:" blocks.
std::map<int64_t, DumpedGoroutine> ParseDump(const std::string& text) {
  std::map<int64_t, DumpedGoroutine> out;
  std::istringstream in(text);
  std::string line;
  DumpedGoroutine* cur = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("goroutine ", 0) == 0) {
      DumpedGoroutine g;
      g.goid = std::stoll(line.substr(10));
      size_t open = line.find('['), close = line.rfind(']');
      std::string inside = line.substr(open + 1, close - open - 1);
      g.locked = inside.find("locked to thread") != std::string::npos;
      g.state = inside.substr(0, inside.find(','));
      cur = &(out[g.goid] = g);
    } else if (cur == nullptr || line.empty()) {
      continue;
    } else if (line.rfind("created by ", 0) == 0) {
      cur->created_by = line.substr(11, line.find(" in goroutine") - 11);
      std::getline(in, line);  // its file:line
    } else if (line[0] == '\t') {
      if (cur->frames.empty()) continue;  // "goroutine running on other thread"
      std::string pos = line.substr(1);
      size_t plus = pos.find(" +0x");
      cur->frames.back().file_line = pos.substr(0, plus);
      if (plus != std::string::npos) cur->frames.back().offset = pos.substr(plus + 1);
    } else {
      cur->frames.push_back({line.substr(0, line.rfind('(')), "", ""});
    }
  }
  return out;
}

struct Listing {
  std::map<int64_t, Json> goroutines;
  Json summary;
};

Listing ParseListing(const std::string& out) {
  Listing l;
  for (const std::string& line : Lines(out)) {
    Json j = Json::parse(line);
    if (j.contains("summary")) {
      l.summary = j["summary"];
    } else {
      l.goroutines[j["goid"].get<int64_t>()] = j;
    }
  }
  return l;
}

std::string Hex(uint64_t v) {
  std::ostringstream s;
  s << "+0x" << std::hex << v;
  return s.str();
}

// One gstates build of the matrix, and whether gotap runs with its version tables off.
struct GstatesCase {
  MatrixFixture fixture;
  bool no_tables = false;
  std::string Name() const { return fixture.Name() + (no_tables ? "_no_tables" : ""); }
};

std::vector<GstatesCase> GstatesCases() {
  std::vector<GstatesCase> cases;
  for (const MatrixFixture& f : MatrixFixtures("gstates", {"default", "stripped", "pie"})) {
    cases.push_back({f, false});
    if (f.variant == "stripped") cases.push_back({f, true});
  }
  return cases;
}

class GoroutinesTest : public ::testing::TestWithParam<GstatesCase> {};

TEST_P(GoroutinesTest, AgreesWithRuntimeStack) {
  const std::string dump_path =
      "/tmp/gotap_gstates_" + GetParam().Name() + "_" + std::to_string(getpid()) + ".txt";
  auto child = ChildProcess::Start({GetParam().fixture.path, "-dump", dump_path});
  ASSERT_TRUE(child->WaitForLine(Stream::kOut, "started", seconds(30))) << child->err();
  ASSERT_TRUE(child->Signal(SIGUSR1));
  ASSERT_TRUE(child->WaitForLine(Stream::kOut, "ready", seconds(30))) << child->err();
  const auto dumped = ParseDump(ReadText(dump_path));
  unlink(dump_path.c_str());

  RunResult run;
  {
    ScopedNoVersionTables no_tables(GetParam().no_tables);
    run = RunGotap({"goroutines", "--json", "--stacks", "-p", std::to_string(child->pid())});
  }
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The layout read from the binary agrees with the version table wherever it has the version.
  EXPECT_EQ(run.err.find("warning"), std::string::npos) << run.err;
  Listing listing = ParseListing(run.out);
  ASSERT_FALSE(listing.summary.is_null()) << run.out;
  EXPECT_EQ(listing.summary["goroutines"], listing.goroutines.size());

  // Same goroutines: runtime.Stack lists exactly the non-system ones.
  std::set<int64_t> dumped_ids, listed_ids;
  for (const auto& [goid, g] : dumped) dumped_ids.insert(goid);
  for (const auto& [goid, g] : listing.goroutines) {
    if (!g["system"].get<bool>()) listed_ids.insert(goid);
  }
  EXPECT_EQ(dumped_ids, listed_ids) << run.out;
  ASSERT_GE(dumped.size(), 12u);

  std::set<std::string> states_seen;
  int compared_frames = 0;
  for (const auto& [goid, d] : dumped) {
    auto it = listing.goroutines.find(goid);
    if (it == listing.goroutines.end()) continue;
    const Json& g = it->second;
    SCOPED_TRACE("goroutine " + std::to_string(goid) + ": " + g.dump());
    EXPECT_FALSE(g["changed"].get<bool>());
    if (!d.created_by.empty()) {
      EXPECT_EQ(g.value("created_by", ""), d.created_by);
    }
    EXPECT_EQ(g["locked_to_thread"].get<bool>(), d.locked);
    if (goid == 1) {  // dumped while running runtime.Stack; now waits for the next signal
      EXPECT_EQ(g["state"], "chan receive");
      EXPECT_EQ(g["func"], "main.main");
      continue;
    }
    if (g["start_func"] == "main.spinner") {  // the CPU loop: running, or preempted by the dump
      EXPECT_TRUE(g["status"] == "running" || g["status"] == "runnable");
      EXPECT_TRUE(d.state == "running" || d.state == "runnable") << d.state;
      states_seen.insert("spinning");
      continue;
    }
    EXPECT_EQ(g["state"], d.state);
    states_seen.insert(d.state);
    EXPECT_EQ(g["func"], d.frames[0].func);
    std::vector<std::string> want, got;
    for (const auto& f : d.frames) want.push_back(f.func + " " + f.file_line + " " + f.offset);
    for (const Json& f : g["frames"]) {
      if (!f["shown"].get<bool>()) continue;
      std::string offset = f["inlined"].get<bool>() ? "" : Hex(f["offset"].get<uint64_t>());
      got.push_back(f["func"].get<std::string>() + " " + f["file"].get<std::string>() + ":" +
                    std::to_string(f["line"].get<int>()) + " " + offset);
    }
    EXPECT_EQ(want, got);
    compared_frames += static_cast<int>(want.size());
    EXPECT_FALSE(g.contains("unwind_error")) << g["unwind_error"];
  }
  // The mutex waiter's reason is "semacquire" up to Go 1.23, "sync.Mutex.Lock" since 1.24.
  if (states_seen.count("sync.Mutex.Lock")) states_seen.insert("semacquire");
  for (const char* state : {"chan receive", "chan send", "sleep", "select", "syscall", "semacquire",
                            "sync.Cond.Wait", "spinning"}) {
    EXPECT_TRUE(states_seen.count(state)) << state;
  }

  EXPECT_GE(compared_frames, 20);

  // Every creator the dump names was compared above: make sure there were some.
  int created_by = 0;
  for (const auto& [goid, d] : dumped) created_by += !d.created_by.empty();
  EXPECT_GE(created_by, 10);

  // The locked goroutine, the inlined call and a goroutine started by another one.
  bool locked = false, inlined = false, grandchild = false;
  for (const auto& [goid, g] : listing.goroutines) {
    if (g["func"] == "main.lockedWaiter") locked = g["locked_to_thread"].get<bool>();
    if (g["func"] == "main.blockInline") inlined = g["frames"].size() > 1;
    if (g.value("created_by", "") == "main.spawner") grandchild = g["func"] == "main.chanReceiver";
  }
  EXPECT_TRUE(locked);
  EXPECT_TRUE(inlined);
  EXPECT_TRUE(grandchild);
  // The syscall goroutine reports the thread it is on: one of the process's threads.
  int reader_in_syscall = 0;
  for (const auto& [goid, g] : listing.goroutines) {
    if (g["status"] != "syscall") continue;
    for (const Json& f : g["frames"]) reader_in_syscall += f["func"] == "main.syscallReader";
    ASSERT_TRUE(g.contains("tid")) << g.dump();
    std::string task = "/proc/" + std::to_string(child->pid()) + "/task/" +
                       std::to_string(g["tid"].get<uint64_t>());
    EXPECT_EQ(access(task.c_str(), F_OK), 0) << task;
  }
  EXPECT_EQ(reader_in_syscall, 1);
}

INSTANTIATE_TEST_SUITE_P(Matrix, GoroutinesTest, ::testing::ValuesIn(GstatesCases()),
                         [](const auto& info) { return info.param.Name(); });

TEST(GoroutinesCliTest, TextOutputAndFreeze) {
  auto child = ChildProcess::Start({FixturePath("gstates.stripped"), "-dump", "/dev/null"});
  ASSERT_TRUE(child->WaitForLine(Stream::kOut, "started", seconds(30))) << child->err();
  RunResult run = RunGotap(
      {"goroutines", "--freeze", "--filter", "chan send", "-p", std::to_string(child->pid())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines[0].find("[chan send] \u2014 main.chanSender  (created by main.main)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("1 goroutines (of "), std::string::npos) << run.out;
  // --freeze resumed the process: it still answers a signal.
  ASSERT_TRUE(child->Signal(SIGUSR1));
  EXPECT_TRUE(child->WaitForLine(Stream::kOut, "ready", seconds(30))) << child->err();
}

TEST(GoroutinesCliTest, TenThousandGoroutines) {
  auto child = ChildProcess::Start(
      {FixturePath("gstates.default"), "-dump", "/dev/null", "-extra", "10000"});
  ASSERT_TRUE(child->WaitForLine(Stream::kOut, "started", seconds(60))) << child->err();
  RunResult run = RunGotap({"goroutines", "--json", "-p", std::to_string(child->pid())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Listing listing = ParseListing(run.out);
  size_t parked = 0;
  for (const auto& [goid, g] : listing.goroutines) {
    if (g["func"] == "main.parked" && g["state"] == "chan receive") ++parked;
  }
  EXPECT_EQ(parked, 10000u);
  EXPECT_EQ(listing.summary["by_function"][0]["func"], "main.parked");
  EXPECT_EQ(listing.summary["by_function"][0]["count"], 10000);
}

TEST(GoroutinesCliTest, BadTargets) {
  RunResult none = RunGotap({"goroutines", "-p", "999999999"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no process with pid 999999999"), std::string::npos) << none.err;
  EXPECT_EQ(Lines(none.err).size(), 1u) << none.err;

  auto sleeper = ChildProcess::Start({"/bin/sleep", "30"});
  RunResult not_go = RunGotap({"goroutines", "-p", std::to_string(sleeper->pid())});
  EXPECT_EQ(not_go.exit_code, 2);
  EXPECT_NE(not_go.err.find("not a Go binary"), std::string::npos) << not_go.err;
  EXPECT_EQ(Lines(not_go.err).size(), 1u) << not_go.err;

  RunResult missing = RunGotap({"goroutines"});
  EXPECT_EQ(missing.exit_code, 2);
}

}  // namespace
}  // namespace gotap::testing
