// gotap ns live (root, real BPF) on the nshygiene fixture: each violation is reported exactly
// once with the right kind, goroutine, thread and namespace, and the clean program exits 0.
// Namespaces the fixture creates die with its threads: nothing to clean up beyond the process.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "../fixture_matrix.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

struct NsRun {
  RunResult run;
  std::vector<Json> findings;  // every JSON line but the summary, in order
  Json summary;                // the "summary" object
};

// stdout carries the fixture's own lines too (spawn mode): only lines starting '{' are gotap's.
void ParseNsOutput(const std::string& out, NsRun* r) {
  for (const std::string& line : Lines(out)) {
    if (line.empty() || line[0] != '{') continue;
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "not JSON: " << line;
    } else if (j.contains("summary")) {
      r->summary = j["summary"];
    } else {
      r->findings.push_back(j);
    }
  }
}

NsRun RunNs(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"ns", "--json"};
  full.insert(full.end(), args.begin(), args.end());
  NsRun r;
  r.run = RunGotapWithin(full, seconds(60));
  ParseNsOutput(r.run.out, &r);
  EXPECT_TRUE(r.summary.is_object()) << r.run.out << r.run.err;
  return r;
}

std::vector<Json> OfKind(const NsRun& r, const std::string& kind) {
  std::vector<Json> out;
  for (const Json& f : r.findings) {
    if (f["kind"] == kind) out.push_back(f);
  }
  return out;
}

// "poisoned tid=N net:[X]" / "spawner tid=N net:[X]" from the fixture: N and X.
std::pair<int64_t, uint64_t> FixtureThread(const std::string& out, const std::string& word) {
  std::smatch m;
  std::regex re(word + R"( tid=(\d+) net:\[(\d+)\])");
  if (!std::regex_search(out, m, re)) {
    ADD_FAILURE() << "no '" << word << "' line in: " << out;
    return {-1, 0};
  }
  return {std::stoll(m[1]), std::stoull(m[2])};
}

// Where gotap ns says its runtime.g/m offsets came from, from its stderr; "" if it does not.
std::string LayoutSource(const NsRun& r) {
  std::smatch m;
  if (!std::regex_search(r.run.err, m, std::regex(R"(runtime layout ([^)]+)\))"))) return "";
  return m[1];
}

void CheckPoison(const std::string& fixture, const std::string& layout_source = "") {
  SCOPED_TRACE(fixture);
  NsRun r = RunNs({"--", Fixture(fixture), "-mode", "poison"});
  if (!layout_source.empty()) EXPECT_EQ(LayoutSource(r), layout_source) << r.run.err;
  EXPECT_EQ(r.run.err.find("warning"), std::string::npos) << r.run.err;
  EXPECT_EQ(r.run.exit_code, 3) << r.run.err;
  EXPECT_EQ(CommandExitStatus(r.run.err), 0) << r.run.err;
  auto [tid, net] = FixtureThread(r.run.out, "poisoned");

  auto unlocks = OfKind(r, "unlock_in_foreign_ns");
  ASSERT_EQ(unlocks.size(), 1u) << r.run.out;
  const Json& u = unlocks[0];
  EXPECT_EQ(u["tid"], tid);
  EXPECT_NE(u["goid"], 1);
  EXPECT_EQ(u["function"], "main.poison");
  EXPECT_EQ(u["ns"]["net"], net);
  EXPECT_NE(u["original_ns"]["net"], net);
  EXPECT_EQ(u["differs"], Json::array({"net"}));

  auto uses = OfKind(r, "poisoned_thread");
  ASSERT_EQ(uses.size(), 1u) << r.run.out;
  const Json& p = uses[0];
  EXPECT_EQ(p["goid"], 1);
  EXPECT_EQ(p["main"], true);
  EXPECT_EQ(p["locked"], false);
  EXPECT_EQ(p["tid"], tid);
  EXPECT_EQ(p["function"], "main.onPoisonedThread");
  EXPECT_EQ(p["ns"]["net"], net);
  ASSERT_GE(p["stack"].size(), 2u);
  EXPECT_EQ(p["stack"][0], "main.onPoisonedThread");
  EXPECT_EQ(p["stack"][1], "main.runPoison");

  EXPECT_TRUE(OfKind(r, "child_not_inheriting").empty()) << r.run.out;
  auto calls = OfKind(r, "ns_syscall");
  ASSERT_EQ(calls.size(), 1u) << r.run.out;
  EXPECT_EQ(calls[0]["syscall"], "unshare");
  EXPECT_EQ(calls[0]["flags"], "CLONE_NEWNET");
  EXPECT_EQ(calls[0]["locked"], true);
  EXPECT_EQ(calls[0]["goid"], u["goid"]);
  EXPECT_EQ(calls[0]["function"], "main.unshareNet");
  EXPECT_EQ(calls[0]["ns"]["net"], net);
  EXPECT_EQ(calls[0]["ns_before"]["net"], u["original_ns"]["net"]);

  EXPECT_EQ(r.summary["violations"], 2);
  EXPECT_EQ(r.summary["exit_code"], 3);
  EXPECT_EQ(r.summary["lost"], 0);
}

TEST(NsBpf, PoisonedThreadIsReportedOnce) { CheckPoison("nshygiene.default"); }

// No DWARF: the runtime layout comes from the type data, checked against the version table.
TEST(NsBpf, PoisonedThreadInStrippedBinary) { CheckPoison("nshygiene.stripped", "type-data"); }

void CheckSpawn(const std::string& fixture, const std::string& layout_source = "") {
  SCOPED_TRACE(fixture);
  NsRun r = RunNs({"--", Fixture(fixture), "-mode", "spawn", "-children", "3"});
  if (!layout_source.empty()) EXPECT_EQ(LayoutSource(r), layout_source) << r.run.err;
  EXPECT_EQ(r.run.exit_code, 3) << r.run.err;
  auto [tid, net] = FixtureThread(r.run.out, "spawner");
  auto children = OfKind(r, "child_not_inheriting");
  ASSERT_EQ(children.size(), 3u) << r.run.out;
  // The goroutine ids the program itself printed (runtime.Stack): goids are handed out from
  // per-P caches, so a child's id may be lower than its parent's.
  std::set<int64_t> printed_children;
  std::smatch m;
  std::string rest = r.run.out;
  while (std::regex_search(rest, m, std::regex(R"(child \d+ tid=\d+ goid=(\d+))"))) {
    printed_children.insert(std::stoll(m[1]));
    rest = m.suffix();
  }
  int64_t spawner_goid = -1;
  if (std::regex_search(r.run.out, m, std::regex(R"(spawner tid=\d+ net:\[\d+\] goid=(\d+))"))) {
    spawner_goid = std::stoll(m[1]);
  }
  std::set<int64_t> child_goids;
  for (const Json& c : children) {
    EXPECT_EQ(c["tid"], tid);
    EXPECT_EQ(c["goid"], children[0]["goid"]);
    EXPECT_EQ(c["locked"], true);
    EXPECT_EQ(c["function"], "main.spawner");
    EXPECT_EQ(c["ns"]["net"], net);
    EXPECT_EQ(c["goid"], spawner_goid) << r.run.out;
    child_goids.insert(c["child_goid"].get<int64_t>());
  }
  EXPECT_EQ(child_goids.size(), 3u);
  EXPECT_EQ(child_goids, printed_children) << r.run.out;
  EXPECT_TRUE(OfKind(r, "unlock_in_foreign_ns").empty()) << r.run.out;
  EXPECT_TRUE(OfKind(r, "poisoned_thread").empty()) << r.run.out;
  EXPECT_EQ(r.summary["violations"], 3);
}

TEST(NsBpf, ChildrenOfALockedGoroutineDoNotInherit) { CheckSpawn("nshygiene.default"); }

// Stripped builds of every Go release of the matrix (runtime.g/runtime.m differ between them),
// with gotap's version tables off: every offset gotap ns reads comes from the binary (type data;
// the goid from code).
std::vector<MatrixFixture> NsReleases() { return MatrixFixtures("nshygiene", {"stripped"}); }

class NsBpfReleases : public ::testing::TestWithParam<MatrixFixture> {
 protected:
  std::string FixtureName() const {
    return GetParam().program + "-go" + GetParam().version + "." + GetParam().variant;
  }
};

TEST_P(NsBpfReleases, PoisonedThreadWithoutVersionTables) {
  ScopedNoVersionTables off;
  CheckPoison(FixtureName(), "type-data");
}

TEST_P(NsBpfReleases, ChildrenWithoutVersionTables) {
  ScopedNoVersionTables off;
  CheckSpawn(FixtureName(), "type-data");
}

INSTANTIATE_TEST_SUITE_P(Stripped, NsBpfReleases, ::testing::ValuesIn(NsReleases()),
                         [](const auto& info) { return info.param.Name(); });

TEST(NsReleasesMatrix, EightReleases) { EXPECT_EQ(NsReleases().size(), 8u); }

// Position-independent: stacks are symbolized through the load bias.
TEST(NsBpf, ChildrenInPie) { CheckSpawn("nshygiene.pie"); }

TEST(NsBpf, CleanSwitchIsSilent) {
  NsRun r = RunNs({"--", Fixture("nshygiene.default"), "-mode", "clean"});
  EXPECT_EQ(r.run.exit_code, 0) << r.run.err;
  EXPECT_EQ(r.summary["violations"], 0);
  auto calls = OfKind(r, "ns_syscall");
  ASSERT_EQ(calls.size(), 2u) << r.run.out;
  EXPECT_EQ(calls[0]["syscall"], "unshare");
  EXPECT_EQ(calls[1]["syscall"], "setns");
  EXPECT_EQ(calls[1]["ret"], 0);
  EXPECT_EQ(calls[1]["ns"]["net"], calls[0]["ns_before"]["net"]);  // back where it started
  EXPECT_EQ(calls[1]["ns"], calls[1]["original_ns"]);
  EXPECT_EQ(r.findings.size(), 2u) << r.run.out;
}

// Text output and -p: attach to a process that waits, then let it poison a thread.
TEST(NsBpf, TextReportForRunningProcess) {
  auto target = ChildProcess::Start({Fixture("nshygiene.default"), "-mode", "poison", "-wait"});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  auto gotap = ChildProcess::Start(
      {GOTAP_BINARY, "ns", "-p", std::to_string(target->pid()), "--duration", "60s"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: watching namespaces", seconds(30)))
      << gotap->err();
  ASSERT_TRUE(target->Write("go\n"));
  auto poisoned = target->WaitForLine(Stream::kOut, "poisoned tid=", seconds(20));
  ASSERT_TRUE(poisoned);
  auto target_status = target->Wait(seconds(20));
  ASSERT_TRUE(target_status) << "fixture did not exit";
  EXPECT_EQ(DescribeStatus(*target_status), "exit 0") << target->err();
  auto status = gotap->Wait(seconds(30));
  ASSERT_TRUE(status) << "gotap did not stop after the process exited";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3) << gotap->err();
  std::string net = poisoned->substr(poisoned->find("net:["));
  const std::string& out = gotap->out();
  EXPECT_NE(out.find("unlock_in_foreign_ns"), std::string::npos) << out;
  EXPECT_NE(out.find("thread returned to the pool in " + net + ", process is in net:["),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("g=1 (main) runs main.onPoisonedThread unlocked on a poisoned thread in " + net),
      std::string::npos)
      << out;
  EXPECT_NE(gotap->err().find("2 violations (exit 3)"), std::string::npos) << gotap->err();
}

}  // namespace
}  // namespace gotap::testing
