// gotap serve's /metrics body: the exposition format's rules, the exact fold of the kernel's
// buckets into le buckets, and escaping of untrusted names. (promtool, Prometheus' own linter,
// checks a live body in tests/e2e/serve_bpf_test.cc.)
#include "output/prometheus.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "bpf/gotap_intf.h"

namespace gotap::output {
namespace {

// The kernel's slots for these durations (ns), as Session::ReadHistogram returns them.
std::vector<uint64_t> SlotsOf(const std::vector<uint64_t>& durations) {
  std::vector<uint64_t> slots(GOTAP_HIST_SLOTS, 0);
  for (uint64_t d : durations) {
    slots[gotap_hist_bucket(d)] += 1;
    slots[GOTAP_HIST_SUM] += d;
  }
  return slots;
}

AgentMetrics OneFunction(std::string name, const std::vector<uint64_t>& durations) {
  FunctionMetrics f;
  f.function = std::move(name);
  f.calls = LatencyHistogram::FromSlots(f.function, SlotsOf(durations));
  f.counts_errors = true;
  f.errors = 2;
  BinaryMetrics b;
  b.binary = "/srv/app";
  b.service = "example.com/app";
  b.go_version = "go1.27.3";
  b.functions.push_back(f);
  b.lost = {{"histogram_full", 0}, {"no_goroutine", 3}};
  AgentMetrics m;
  m.binaries.push_back(b);
  m.start_time_seconds = 1796655000.5;
  return m;
}

// name -> value of every sample whose line contains `has`.
std::map<std::string, std::string> Samples(const std::string& text, const std::string& has) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.find(has) == std::string::npos) continue;
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

TEST(Prometheus, EveryLineIsACommentOrASample) {
  std::string text = FormatPrometheus(OneFunction("main.(*Store).Get", {100, 5000, 70000}));
  const std::regex comment(R"(# (HELP|TYPE) gotap_[a-z_]+ .+)");
  const std::regex sample(
      R"re(gotap_[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? [0-9.e+-]+|gotap_[a-z_]+\{.*le="\+Inf"\} [0-9]+)re");
  std::istringstream in(text);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    EXPECT_TRUE(std::regex_match(line, comment) || std::regex_match(line, sample)) << line;
  }
  EXPECT_GT(lines, 30);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Prometheus, FoldsKernelBucketsExactlyIntoPowersOfTwo) {
  // 1 µs is bucket [1024, 1280): le=1.024e-06 excludes it, le=2.048e-06 includes it.
  std::string text = FormatPrometheus(
      OneFunction("main.f", {100, 300, 1024, 2047, 2048, 1 << 20, uint64_t{1} << 40}));
  auto buckets = Samples(text, "gotap_call_duration_seconds_bucket");
  auto at = [&](const std::string& le) {
    return buckets.at(
        "gotap_call_duration_seconds_bucket{function=\"main.f\",binary=\"/srv/app\","
        "service=\"example.com/app\",le=\"" +
        le + "\"}");
  };
  EXPECT_EQ(at("2.56e-07"), "1");     // 100
  EXPECT_EQ(at("5.12e-07"), "2");     // + 300
  EXPECT_EQ(at("1.024e-06"), "2");    // 1024 is not below 1024
  EXPECT_EQ(at("2.048e-06"), "4");    // + 1024, 2047
  EXPECT_EQ(at("4.096e-06"), "5");    // + 2048
  EXPECT_EQ(at("0.001048576"), "5");  // 2^20 itself is in [2^20, 2^20 + 2^18): not yet
  EXPECT_EQ(at("0.002097152"), "6");
  EXPECT_EQ(at("34.359738368"), "6");  // 2^40 ns is past the last bound
  EXPECT_EQ(at("+Inf"), "7");
  auto counts = Samples(text, "gotap_call_duration_seconds_count");
  EXPECT_EQ(counts.begin()->second, "7");
  // Cumulative: never decreasing, bound after bound.
  uint64_t previous = 0;
  for (uint64_t bound : PrometheusBucketBoundsNs()) {
    std::string le = fmt::format("{}", static_cast<double>(bound) / 1e9);
    uint64_t n = std::stoull(at(le));
    EXPECT_GE(n, previous) << le;
    previous = n;
  }
}

TEST(Prometheus, CountersAndLossesAreNamedByConvention) {
  std::string text = FormatPrometheus(OneFunction("main.f", {500, 600}));
  auto calls = Samples(text, "gotap_calls_total{");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.begin()->second, "2");
  auto errors = Samples(text, "gotap_call_errors_total{");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.begin()->second, "2");
  auto lost = Samples(text, "gotap_calls_lost_total{");
  EXPECT_EQ(lost.size(), 2u);
  EXPECT_EQ(lost.at("gotap_calls_lost_total{binary=\"/srv/app\",service=\"example.com/app\","
                    "reason=\"no_goroutine\"}"),
            "3");
  EXPECT_NE(text.find("# TYPE gotap_call_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("gotap_call_duration_seconds_sum{function=\"main.f\",binary=\"/srv/app\","
                      "service=\"example.com/app\"} 1.1e-06\n"),
            std::string::npos)
      << text;
}

TEST(Prometheus, FunctionsWithoutAnErrorResultHaveNoErrorSeries) {
  AgentMetrics m = OneFunction("main.add", {10});
  m.binaries[0].functions[0].counts_errors = false;
  EXPECT_TRUE(Samples(FormatPrometheus(m), "gotap_call_errors_total{").empty());
}

TEST(Prometheus, UntrustedNamesCannotBreakALine) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeLabelValue(std::string("x\x01y\xff", 4)), "x\\x01y\\xff");
  EXPECT_EQ(EscapeLabelValue("main.(*T).Üben"), "main.(*T).Üben");  // UTF-8 stays
  std::string text = FormatPrometheus(OneFunction("evil\"}\n1 2\nname", {10}));
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    EXPECT_FALSE(line == "1 2" || line.rfind("name", 0) == 0) << line;
  }
}

}  // namespace
}  // namespace gotap::output
