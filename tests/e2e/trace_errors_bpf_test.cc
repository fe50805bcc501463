// `gotap trace` refuses what it cannot trace with one line that says why and what to do instead,
// before the command runs: unknown functions, functions that exist only inlined, signatures that
// contradict DWARF, commands that do not exist, and missing privileges.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fixture_matrix.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

// One line on stderr holding every one of `needles`, exit code `code`, and the command never ran
// (it would have printed to stdout).
void ExpectRefused(const RunResult& r, int code, const std::vector<std::string>& needles) {
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, code) << r.err;
  ASSERT_EQ(Lines(r.err).size(), 1u) << r.err;
  for (const std::string& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "the command ran";
}

// Refusals read pclntab and DWARF, whose formats change between releases: every toolchain's
// build of swapper (with DWARF) is refused the same way.
class TraceErrorsMatrix : public ::testing::TestWithParam<MatrixFixture> {};

TEST_P(TraceErrorsMatrix, UnknownFunctionNamesNearestOnes) {
  ExpectRefused(RunGotap({"trace", "main.swpa", "--", GetParam().path, "a", "b"}), 2,
                {"main.swpa", "nearest", "main.swap"});
}

TEST_P(TraceErrorsMatrix, SignatureContradictingDwarf) {
  ExpectRefused(RunGotap({"trace", "main.swap(x int) int", "--", GetParam().path, "a", "b"}), 2,
                {"main.swap", "DWARF"});
}

INSTANTIATE_TEST_SUITE_P(Swapper, TraceErrorsMatrix,
                         ::testing::ValuesIn(MatrixFixtures("swapper", {"default"})),
                         [](const auto& info) { return info.param.Name(); });

// model's main.small is inlined at both call sites in main.main and has no body of its own.
TEST(TraceErrors, InlinedOnlyFunctionNamesItsCallers) {
  ExpectRefused(RunGotap({"trace", "main.small", "--", Fixture("model.default")}), 2,
                {"main.small", "inlined", "main.main"});
}

TEST(TraceErrors, CommandNotFound) {
  ExpectRefused(RunGotap({"trace", "main.swap", "--", "gotap-no-such-command"}), 2,
                {"gotap-no-such-command", "not found"});
}

// Without CAP_BPF and CAP_PERFMON (here: as user nobody) tracing fails and says which
// capabilities are missing. Needs root to drop to nobody.
TEST(TraceErrorsBpf, UnprivilegedNamesCapabilities) {
  ASSERT_EQ(geteuid(), 0u) << "this test drops root privileges, so it must start as root";
  for (std::vector<std::string> drop :
       {std::vector<std::string>{"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup",
                                 "--clear-groups"},
        std::vector<std::string>{"/usr/sbin/capsh", "--drop=cap_bpf,cap_perfmon,cap_sys_admin",
                                 "--"}}) {
    std::vector<std::string> args = {"trace", "main.swap", "--", Fixture("swapper.default")};
    std::string command = drop[0];
    drop.erase(drop.begin());
    if (command.ends_with("capsh")) {
      // capsh runs a shell command: root uid, without the capabilities.
      drop.push_back("-c");
      std::string line = std::string("exec ") + GOTAP_BINARY;
      for (const auto& a : args) line += " '" + a + "'";
      drop.push_back(line);
    } else {
      drop.push_back(GOTAP_BINARY);
      drop.insert(drop.end(), args.begin(), args.end());
    }
    drop.insert(drop.begin(), command);
    auto run = ChildProcess::Start(drop);
    auto status = run->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status) << command;
    ASSERT_TRUE(WIFEXITED(*status)) << command << ": " << DescribeStatus(*status);
    EXPECT_NE(WEXITSTATUS(*status), 0) << command << ": " << run->err();
    EXPECT_NE(WEXITSTATUS(*status), 127) << command << " could not run gotap: " << run->err();
    ASSERT_EQ(Lines(run->err()).size(), 1u) << command << ": " << run->err();
    EXPECT_NE(run->err().find("CAP_BPF"), std::string::npos) << run->err();
    EXPECT_NE(run->err().find("CAP_PERFMON"), std::string::npos) << run->err();
    EXPECT_EQ(run->out(), "") << "the command ran";
  }
}

}  // namespace
}  // namespace gotap::testing
