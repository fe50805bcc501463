// gotap serve against a real Prometheus server (Debian's prometheus package) scraping it every
// second: PromQL sees the calls and errors the programs themselves count, histogram_quantile
// agrees with gotap latency within the buckets' error, promtool accepts the body, SIGHUP keeps
// the counts, SIGTERM ends the agent cleanly.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "go_matrix.h"
#include "http_get.h"
#include "serve_peers.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kCheckSignature = "main.check(key string, value string) error";

void ServeUnderPrometheus(const std::string& fixture) {
  const std::string binary = PrivateCopy(fixture);
  const std::string function_labels =
      fmt::format("function=\"main.check\",binary=\"{}\",service=\"gotap.test/fixtures\"",
                  std::filesystem::canonical(binary).string());
  auto serve = ChildProcess::Start(
      {GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0", binary, kCheckSignature, "main.add"});
  uint16_t port = MetricsPort(*serve);
  ASSERT_NE(port, 0) << serve->err();
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving 2 functions", seconds(60)))
      << serve->err();
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  auto prometheus = PrometheusServer::Start(port);

  // gotap latency on the same binary at the same time: the reference for the quantiles.
  const std::string latency_file = ::testing::TempDir() + "gotap-serve-latency.jsonl";
  auto latency = ChildProcess::Start(
      {GOTAP_BINARY, "latency", "--json", "-o", latency_file, binary, kCheckSignature});
  ASSERT_TRUE(latency->WaitForLine(Stream::kErr, "gotap: tracing", seconds(60))) << latency->err();

  // Two processes of the binary, started after the agent: both are counted.
  std::string checks = RunProgram({binary, "-check", "-n", "20000"});
  RunProgram({binary, "-n", "3000"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(checks, m, std::regex(R"(check called 20000 times, (\d+) errors)")))
      << checks;
  const double program_errors = std::stod(m[1]);
  latency->Signal(SIGINT);
  ASSERT_TRUE(latency->Wait(seconds(30))) << latency->err();

  auto calls =
      prometheus->QueryUntil(fmt::format("gotap_calls_total{{function=\"main.check\"}}"), 20000);
  EXPECT_EQ(calls, 20000) << prometheus->log() << serve->err();
  EXPECT_EQ(
      prometheus->QueryUntil("gotap_call_errors_total{function=\"main.check\"}", program_errors),
      program_errors);
  EXPECT_EQ(prometheus->QueryUntil("gotap_calls_total{function=\"main.add\"}", 3000), 3000);
  // add returns an int: it has no error series at all.
  EXPECT_EQ(prometheus->Query("gotap_call_errors_total{function=\"main.add\"}"), std::nullopt);
  EXPECT_EQ(prometheus->Query("sum(gotap_calls_lost_total)"), 0);
  EXPECT_EQ(prometheus->Query("up{job=\"gotap\"}"), 1);

  // Quantiles: Prometheus interpolates inside power-of-two buckets (within 2x of the truth),
  // gotap latency reports bucket midpoints of quarter-power-of-two buckets (within 12.5%).
  std::vector<Json> reports = ParseJsonLines(ReadText(latency_file));
  ASSERT_EQ(reports.size(), 1u) << ReadText(latency_file);
  EXPECT_EQ(reports[0]["count"], 20000);
  EXPECT_EQ(reports[0]["errors"].get<double>(), program_errors);
  for (auto [q, key] : {std::pair{0.5, "p50_ns"}, {0.9, "p90_ns"}, {0.99, "p99_ns"}}) {
    auto promql = fmt::format(
        "histogram_quantile({}, gotap_call_duration_seconds_bucket{{function=\"main.check\"}})", q);
    auto from_prometheus = prometheus->Query(promql);
    ASSERT_TRUE(from_prometheus) << promql;
    double ratio = *from_prometheus / (reports[0][key].get<double>() / 1e9);
    EXPECT_GE(ratio, 0.5 / 1.125) << promql << " vs " << reports[0][key];
    EXPECT_LE(ratio, 2 * 1.125) << promql << " vs " << reports[0][key];
  }

  // Prometheus' own linter accepts the body.
  HttpReply body = HttpGet(port, "/metrics");
  ASSERT_EQ(body.status, 200);
  const std::string metrics_file = ::testing::TempDir() + "gotap-serve-metrics.txt";
  std::ofstream(metrics_file) << body.body;
  auto promtool = ChildProcess::Start(
      {"/bin/sh", "-c", fmt::format("{} check metrics < {}", kPromtool, metrics_file)});
  auto linted = promtool->Wait(seconds(30));
  EXPECT_TRUE(linted && WIFEXITED(*linted) && WEXITSTATUS(*linted) == 0)
      << promtool->out() << promtool->err();
  EXPECT_EQ(SampleOf(body.body, "gotap_calls_total{" + function_labels + "}"), 20000) << body.body;

  // SIGHUP: a new session, every count kept; the next calls add to them.
  serve->Signal(SIGHUP);
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: reloaded: 2 functions", seconds(60)))
      << serve->err();
  RunProgram({binary, "-check", "-n", "1000"});
  body = HttpGet(port, "/metrics");
  EXPECT_EQ(SampleOf(body.body, "gotap_calls_total{" + function_labels + "}"), 21000) << body.body;
  EXPECT_EQ(SampleOf(body.body, "gotap_call_errors_total{" + function_labels + "}"),
            program_errors + 250);

  // SIGTERM: detach, say what was served, exit 0.
  serve->Signal(SIGTERM);
  auto status = serve->Wait(seconds(30));
  ASSERT_TRUE(status) << serve->err();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeStatus(*status);
  // 21,000 checks and 3,000 adds.
  EXPECT_NE(serve->err().find(fmt::format("gotap: served 24000 calls ({} errors) of 2 functions",
                                          program_errors + 250)),
            std::string::npos)
      << serve->err();
  EXPECT_EQ(HttpGet(port, "/healthz").status, 0);  // nobody listens any more
  std::filesystem::remove(binary);
}

TEST(ServeBpf, PrometheusCountsWhatTheProgramCountsGo127) {
  ServeUnderPrometheus(MatrixPath("adder", {"1.27", "default"}));
}

// Stripped: the signature gives the error result.
TEST(ServeBpf, PrometheusCountsWhatTheProgramCountsGo119Stripped) {
  ServeUnderPrometheus(MatrixPath("adder", {"1.19", "stripped"}));
}

TEST(ServeBpf, BadInputIsOneLineAndExit2) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"serve"},
           {"serve", "--metrics", "nonsense", Fixture("adder.default"), "main.add"},
           {"serve", "--metrics", "127.0.0.1:0", "/nonexistent/binary", "main.add"},
           {"serve", "--metrics", "127.0.0.1:0", Fixture("adder.default"), "main.nosuchfunc"}}) {
    RunResult r = RunGotap(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(Lines(r.err).size(), r.err.find("metrics at") == std::string::npos ? 1u : 2u)
        << r.err;
  }
}

}  // namespace
}  // namespace gotap::testing
