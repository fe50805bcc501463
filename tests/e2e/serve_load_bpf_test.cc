// gotap serve under load and faults (issue 17, item 6), with the real peers: 100,000 calls/s for
// a minute through a target restart while Prometheus scrapes every second, and span export while
// the collector is killed and restarted. The figures (rates, memory, losses) are printed for the
// record; the assertions are about counts and memory, never about time.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>

#include "go_matrix.h"
#include "serve_peers.h"

namespace gotap::testing {
namespace {

// VmRSS of `pid` in KiB (0 when it cannot be read).
uint64_t RssKib(pid_t pid) {
  std::istringstream in(ReadText(fmt::format("/proc/{}/status", pid)));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

// Samples the RSS of `pid` every `every` until stopped.
class RssSampler {
 public:
  RssSampler(pid_t pid, milliseconds every)
      : thread_([this, pid, every] {
          while (!stop_) {
            samples_.push_back(RssKib(pid));
            for (milliseconds slept{0}; slept < every && !stop_; slept += milliseconds(50)) {
              std::this_thread::sleep_for(milliseconds(50));
            }
          }
        }) {}
  std::vector<uint64_t> Stop() {
    stop_ = true;
    thread_.join();
    return samples_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<uint64_t> samples_;
  std::thread thread_;
};

// "pacer: N calls in S s (R calls/s), sum X" -> N and R.
std::pair<uint64_t, double> PacerCalls(const std::string& out) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(
      out, m, std::regex(R"(pacer: (\d+) calls in [0-9.]+ s \(([0-9.]+) calls/s\))")))
      << out;
  if (m.empty()) return {0, 0};
  return {std::stoull(m[1]), std::stod(m[2])};
}

TEST(ServeLoadBpf, HundredThousandCallsPerSecondForAMinuteThroughATargetRestart) {
  const std::string binary = PrivateCopy(MatrixPath("pacer", {"1.27", "default"}));
  auto serve =
      ChildProcess::Start({GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0", binary, "main.add"});
  const uint16_t port = MetricsPort(*serve);
  ASSERT_NE(port, 0) << serve->err();
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving 1 function", seconds(60)))
      << serve->err();
  auto prometheus = PrometheusServer::Start(port);
  RssSampler rss(serve->pid(), milliseconds(2000));

  // Two runs of the target, one after the other: Prometheus keeps scraping across the restart.
  auto [first, first_rate] =
      PacerCalls(RunProgram({binary, "-rate", "100000", "-seconds", "30", "-goroutines", "2"}));
  auto [second, second_rate] =
      PacerCalls(RunProgram({binary, "-rate", "100000", "-seconds", "30", "-goroutines", "2"}));
  const uint64_t calls = first + second;

  auto counted = prometheus->QueryUntil("gotap_calls_total{function=\"main.add\"}",
                                        static_cast<double>(calls));
  auto lost = prometheus->Query("sum(gotap_calls_lost_total)");
  ASSERT_TRUE(lost) << prometheus->log();
  // Every call is counted or its loss is: with nothing lost, the counts are exact.
  EXPECT_EQ(counted.value_or(0) + *lost, static_cast<double>(calls));
  EXPECT_EQ(*lost, 0);
  // The counter never went down, and every scrape found the agent up, across the restart.
  EXPECT_EQ(prometheus->Query("resets(gotap_calls_total{function=\"main.add\"}[10m])"), 0);
  EXPECT_EQ(prometheus->Query("min_over_time(up{job=\"gotap\"}[10m])"), 1);
  auto scrapes = prometheus->Query("count_over_time(up{job=\"gotap\"}[10m])");

  std::vector<uint64_t> samples = rss.Stop();
  ASSERT_GE(samples.size(), 20u);
  // Flat memory: after the first 10 s, the agent's RSS stays within 2 MiB of what it was then.
  const uint64_t settled = samples[5];
  const uint64_t peak = *std::max_element(samples.begin() + 5, samples.end());
  EXPECT_LE(peak, settled + 2048) << "RSS KiB over time: " << ::testing::PrintToString(samples);

  serve->Signal(SIGTERM);
  auto status = serve->Wait(seconds(30));
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << serve->err();
  std::cout << fmt::format(
      "serve load: {} calls ({:.0f} and {:.0f} calls/s reached in two 30 s runs), counted {}, "
      "lost {}, {} scrapes; agent RSS {} KiB at 10 s, peak {} KiB after\n",
      calls, first_rate, second_rate, counted.value_or(0), *lost, scrapes.value_or(0), settled,
      peak);
  std::filesystem::remove(binary);
}

// Spans while the collector is killed mid-run and restarted 5 s later: the queue holds them,
// the exporter retries, and every span is either received or counted as dropped.
TEST(ServeLoadBpf, SpansSurviveACollectorKilledMidRun) {
  ASSERT_TRUE(std::filesystem::exists(kCollector)) << kCollector;
  const std::string binary = PrivateCopy(MatrixPath("pacer", {"1.27", "default"}));
  const uint16_t otlp_port = FreeLoopbackPort();
  auto collector = std::make_unique<Collector>(otlp_port, "basic");
  ASSERT_TRUE(collector->Start()) << collector->Stop();
  auto serve =
      ChildProcess::Start({GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0", "--otlp",
                           fmt::format("http://127.0.0.1:{}", otlp_port), binary, "main.add"});
  const uint16_t port = MetricsPort(*serve);
  ASSERT_NE(port, 0) << serve->err();
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving", seconds(60))) << serve->err();

  auto pacer = ChildProcess::Start({binary, "-rate", "10000", "-seconds", "20"});
  std::this_thread::sleep_for(seconds(5));
  std::string before = collector->Stop();  // killed mid-run (SIGTERM: it flushes what it has)
  std::this_thread::sleep_for(seconds(5));
  auto restarted = std::make_unique<Collector>(otlp_port, "basic");
  ASSERT_TRUE(restarted->Start()) << restarted->Stop();
  auto pacer_status = pacer->Wait(seconds(60));
  ASSERT_TRUE(pacer_status) << pacer->err();
  auto [calls, rate] = PacerCalls(pacer->out());

  // All spans leave once the queue drains; then the agent stops.
  std::optional<double> exported;
  for (int i = 0; i < 300 && exported != static_cast<double>(calls); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    exported = MetricSample(port, "gotap_spans_exported_total");
  }
  const double failures = MetricSample(port, "gotap_span_export_failures_total").value_or(-1);
  serve->Signal(SIGTERM);
  auto status = serve->Wait(seconds(30));
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << serve->err();
  std::string after = restarted->Stop();

  // The basic debug exporter logs one line per export: ... "spans": N}.
  auto received = [](const std::string& log) {
    uint64_t n = 0;
    std::regex spans(R"re("spans": (\d+))re");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), spans);
         it != std::sregex_iterator(); ++it) {
      n += std::stoull((*it)[1]);
    }
    return n;
  };
  const uint64_t got = received(before) + received(after);
  EXPECT_EQ(exported, static_cast<double>(calls)) << serve->err();
  EXPECT_GT(failures, 0) << "the collector was down for 5 s: some exports must have failed";
  // At least once: a batch the collector took just before SIGTERM may be sent again.
  EXPECT_GE(got, calls);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      serve->err(), m,
      std::regex(
          R"re((\d+) exported, (\d+) rejected by the collector, (\d+) dropped \(queue full\), (\d+) dropped at exit)re")))
      << serve->err();
  EXPECT_EQ(std::stoull(m[1]) + std::stoull(m[2]) + std::stoull(m[3]) + std::stoull(m[4]), calls);
  std::cout << fmt::format(
      "serve otlp fault: {} calls at {:.0f} calls/s, collector down 5 s: {} spans exported, {} "
      "received by the two collectors, {} failed requests retried\n",
      calls, rate, exported.value_or(0), got, failures);
  std::filesystem::remove(binary);
}

}  // namespace
}  // namespace gotap::testing
