// gotap serve finding its processes: by Go module (a config file's target, found by scanning
// /proc, detached when the last process exits, counts kept), by path inside another mount
// namespace (a container's own copy of the binary at the same path), and per process with
// --pid-label. The adder fixture's own printed counts are the ground truth.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "go_matrix.h"
#include "http_get.h"
#include "serve_peers.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

constexpr const char* kCheck = "main.check(key string, value string) error";

std::string Labels(const std::string& function, const std::string& binary) {
  return fmt::format(R"(function="{}",binary="{}",service="gotap.test/fixtures")", function,
                     binary);
}

// The body of /metrics once `series` reads `want` (scrapes for up to 20 s).
std::string MetricsWhen(uint16_t port, const std::string& series, double want) {
  HttpReply reply;
  for (int i = 0; i < 200; ++i) {
    reply = HttpGet(port, "/metrics");
    if (SampleOf(reply.body, series) == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return reply.body;
}

// Runs `argv` (an adder with -wait: it prints "ready" and waits for a line), lets it call once
// `serve` says it serves the process, and returns what it printed.
std::string RunOnceServed(ChildProcess& serve, const std::vector<std::string>& argv,
                          const std::string& served_line) {
  auto program = ChildProcess::Start(argv);
  EXPECT_TRUE(program->WaitForLine(Stream::kOut, "ready", seconds(30))) << program->err();
  EXPECT_TRUE(serve.WaitForLine(
      Stream::kErr, fmt::format(fmt::runtime(served_line), program->pid()), seconds(30)))
      << serve.err();
  program->Write("go\n");
  auto status = program->Wait(seconds(60));
  EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << program->err();
  return program->out();
}

uint64_t ErrorsPrinted(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(check called \d+ times, (\d+) errors)"))) return 0;
  return std::stoull(m[1]);
}

TEST(ServeDiscoveryBpf, ModuleTargetFollowsItsProcessesAndKeepsCountsAfterTheyExit) {
  const std::string binary = PrivateCopy(MatrixPath("adder", {"1.27", "default"}));
  const std::string config = ::testing::TempDir() + "gotap-serve-module.yaml";
  std::ofstream(config) << fmt::format(
      "# every process of the fixtures' module\n"
      "metrics:\n  listen: 127.0.0.1:0\n"
      "scan_interval: 100ms\n"
      "targets:\n"
      "  - module: gotap.test/fixtures\n"
      "    probes: ['{}']\n",
      kCheck);

  auto check = ChildProcess::Start({GOTAP_BINARY, "serve", "--check", "-c", config});
  auto checked = check->Wait(seconds(30));
  ASSERT_TRUE(checked && WIFEXITED(*checked) && WEXITSTATUS(*checked) == 0) << check->err();
  EXPECT_NE(check->out().find("target module gotap.test/fixtures: " + std::string(kCheck)),
            std::string::npos)
      << check->out();

  auto serve = ChildProcess::Start({GOTAP_BINARY, "serve", "-c", config});
  const uint16_t port = MetricsPort(*serve);
  ASSERT_NE(port, 0) << serve->err();
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200) << serve->err();
  const std::string via = "of " + binary + " via /proc/{}/exe";

  std::string out = RunOnceServed(*serve, {binary, "-wait", "-check", "-n", "5000"}, via);
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "no process runs " + binary + " anymore: detached",
                                 seconds(30)))
      << serve->err();
  const std::string calls = "gotap_calls_total{" + Labels("main.check", binary) + "}";
  const std::string errors = "gotap_call_errors_total{" + Labels("main.check", binary) + "}";
  std::string body = MetricsWhen(port, calls, 5000);
  EXPECT_EQ(SampleOf(body, calls), 5000) << body << serve->err();
  EXPECT_EQ(SampleOf(body, errors), ErrorsPrinted(out)) << body;

  // The same file again: a new attachment, whose counts add to the detached one's.
  std::string again = RunOnceServed(*serve, {binary, "-wait", "-check", "-n", "1000"}, via);
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "no process runs " + binary + " anymore: detached",
                                 seconds(30)))
      << serve->err();
  body = MetricsWhen(port, calls, 6000);
  EXPECT_EQ(SampleOf(body, calls), 6000) << body << serve->err();
  EXPECT_EQ(SampleOf(body, errors), ErrorsPrinted(out) + ErrorsPrinted(again)) << body;
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);

  EXPECT_EQ(SampleOf(body, "gotap_attach_failures_total"), 0) << body;

  // A process of the module whose binary lacks the probed function: not served, counted, and
  // not retried at every scan.
  const std::string other = PrivateCopy(MatrixPath("named", {"1.27", "stripped"}));
  auto unservable = ChildProcess::Start({other, "-wait"});
  ASSERT_TRUE(unservable->WaitForLine(Stream::kOut, "ready", seconds(30)));
  ASSERT_TRUE(serve->WaitForLine(
      Stream::kErr,
      fmt::format("cannot serve {} (pid {}): no function matches", other, unservable->pid()),
      seconds(30)))
      << serve->err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few more scans
  body = HttpGet(port, "/metrics").body;
  EXPECT_EQ(SampleOf(body, "gotap_attach_failures_total"), 1) << body << serve->err();
  unservable->CloseStdin();
  ASSERT_TRUE(unservable->Wait(seconds(30)));

  serve->Signal(SIGTERM);
  auto status = serve->Wait(seconds(30));
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << serve->err();
  std::filesystem::remove(binary);
  std::filesystem::remove(other);
}

// A container's view: in a mount namespace of its own (then in a pid namespace too), another
// file (a copy) sits at the served path. It is found by its path there and served through
// /proc/PID/exe, its counts summed with the host's under the same labels.
TEST(ServeDiscoveryBpf, SamePathInAnotherMountNamespaceIsServedToo) {
  const std::string fixture = MatrixPath("adder", {"1.19", "stripped"});
  const std::string binary = PrivateCopy(fixture);
  const std::string other = binary + ".container";
  std::filesystem::copy_file(fixture, other, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(other, std::filesystem::perms::owner_all);

  auto serve =
      ChildProcess::Start({GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0", binary, kCheck});
  const uint16_t port = MetricsPort(*serve);
  ASSERT_NE(port, 0) << serve->err();
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving 1 function", seconds(60)))
      << serve->err();

  const std::string in_namespace =
      fmt::format("mount --bind {} {} && exec {} -wait -check -n 3000", other, binary, binary);
  std::string contained = RunOnceServed(
      *serve, {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", in_namespace},
      "of " + binary + " via /proc/{}/exe");
  // A pid namespace as well: the process is pid 1 there, found by its pid here. The same file
  // as before, so first its earlier attachment goes with its process.
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "no process runs " + binary + " anymore: detached",
                                 seconds(30)))
      << serve->err();
  std::string pid_namespaced =
      RunOnceServed(*serve,
                    {"/usr/bin/unshare", "-m", "-p", "--fork", "--propagation", "private",
                     "/bin/sh", "-c", in_namespace},
                    "of " + binary + " via /proc/");
  std::string host = RunProgram({binary, "-check", "-n", "2000"});

  const std::string calls = "gotap_calls_total{" + Labels("main.check", binary) + "}";
  std::string body = MetricsWhen(port, calls, 8000);
  EXPECT_EQ(SampleOf(body, calls), 8000) << body << serve->err();
  EXPECT_EQ(SampleOf(body, "gotap_call_errors_total{" + Labels("main.check", binary) + "}"),
            ErrorsPrinted(contained) + ErrorsPrinted(pid_namespaced) + ErrorsPrinted(host))
      << body;
  serve->Signal(SIGTERM);
  ASSERT_TRUE(serve->Wait(seconds(30))) << serve->err();
  std::filesystem::remove(binary);
  std::filesystem::remove(other);
}

// --pid-label: a series per running process; an ended process's series go.
TEST(ServeDiscoveryBpf, PidLabelSplitsTheSeriesByProcess) {
  const std::string binary = PrivateCopy(MatrixPath("adder", {"1.27", "default"}));
  auto serve = ChildProcess::Start(
      {GOTAP_BINARY, "serve", "--pid-label", "--metrics", "127.0.0.1:0", binary, "main.add"});
  const uint16_t port = MetricsPort(*serve);
  ASSERT_NE(port, 0) << serve->err();
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving 1 function", seconds(60)))
      << serve->err();
  auto first = ChildProcess::Start({binary, "-hold", "-n", "1000"});
  auto second = ChildProcess::Start({binary, "-hold", "-n", "2500"});
  ASSERT_TRUE(first->WaitForLine(Stream::kOut, "add called 1000 times", seconds(30)));
  ASSERT_TRUE(second->WaitForLine(Stream::kOut, "add called 2500 times", seconds(30)));
  auto series = [&](const ChildProcess& p) {
    return fmt::format("gotap_calls_total{{{},pid=\"{}\"}}", Labels("main.add", binary), p.pid());
  };
  std::string body = MetricsWhen(port, series(*second), 2500);
  EXPECT_EQ(SampleOf(body, series(*first)), 1000) << body;
  EXPECT_EQ(SampleOf(body, series(*second)), 2500) << body;
  // No series without a pid: every count belongs to a process.
  EXPECT_EQ(SampleOf(body, "gotap_calls_total{" + Labels("main.add", binary) + "}"), std::nullopt);

  first->CloseStdin();
  ASSERT_TRUE(first->Wait(seconds(30)));
  body = HttpGet(port, "/metrics").body;
  EXPECT_EQ(SampleOf(body, series(*first)), std::nullopt) << body;
  EXPECT_EQ(SampleOf(body, series(*second)), 2500) << body;
  second->CloseStdin();
  ASSERT_TRUE(second->Wait(seconds(30)));
  serve->Signal(SIGTERM);
  ASSERT_TRUE(serve->Wait(seconds(30))) << serve->err();
  std::filesystem::remove(binary);
}

}  // namespace
}  // namespace gotap::testing
