// gotap serve's config file (serve/config) and how its metrics board sums readings across
// attachments and reloads (serve/metrics_board): unprivileged, no kernel.
#include <gtest/gtest.h>

#include <thread>

#include "serve/config.h"
#include "serve/metrics_board.h"

namespace gotap::serve {
namespace {

TEST(ServeConfig, ParsesEveryKey) {
  auto config = ParseServeConfig(R"(# an agent for two programs
metrics:
  listen: 0.0.0.0:9464
  pid_label: true
otlp:
  endpoint: http://127.0.0.1:4318
  string_length: 128
scan_interval: 2s
targets:
  - path: /usr/local/bin/shop
    probes: ['main.(*Store).Get', 'main.handle(ctx context.Context) error']
  - module: example.com/inventory
    probes: 'main.*'
  - module: example.com/billing
)",
                                 "gotap.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->metrics, "0.0.0.0:9464");
  EXPECT_TRUE(config->pid_label);
  EXPECT_EQ(config->otlp, "http://127.0.0.1:4318");
  EXPECT_EQ(config->string_length, 128);
  EXPECT_DOUBLE_EQ(config->scan_seconds, 2.0);
  ASSERT_EQ(config->targets.size(), 3u);
  EXPECT_EQ(config->targets[0].path, "/usr/local/bin/shop");
  EXPECT_EQ(
      config->targets[0].probes,
      (std::vector<std::string>{"main.(*Store).Get", "main.handle(ctx context.Context) error"}));
  EXPECT_EQ(config->targets[1].module, "example.com/inventory");
  EXPECT_EQ(config->targets[1].probes, std::vector<std::string>{"main.*"});
  EXPECT_TRUE(config->targets[2].probes.empty());
}

TEST(ServeConfig, DefaultsNeedOnlyTargets) {
  auto config = ParseServeConfig("targets:\n  - path: ./server\n", "c.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->metrics, "127.0.0.1:9464");
  EXPECT_FALSE(config->pid_label);
  EXPECT_TRUE(config->otlp.empty());
  EXPECT_EQ(config->string_length, 64);
  EXPECT_DOUBLE_EQ(config->scan_seconds, 1.0);
}

// Each mistake is one error naming the file, the line and what is wrong.
TEST(ServeConfig, MistakesNameTheirLine) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"targets:\n  - path: /a\n    prob: ['x']\n",
       "c.yaml:3: unknown key 'prob' in a target (known: module, path, probes)"},
      {"metrics:\n  listen: :1\n  pid_lable: yes\ntargets: [{path: /a}]\n",
       "c.yaml:3: unknown key 'pid_lable' in metrics"},
      {"targets:\n  - path: /a\n    module: example.com/a\n",
       "c.yaml:2: a target names either a path or a module (not both)"},
      {"targets:\n  - probes: [main.f]\n", "c.yaml:2: a target names either a path or a module"},
      {"metrics: {listen: ':1'}\n", "c.yaml:1: targets must be a non-empty list"},
      {"targets: []\n", "c.yaml:1: targets must be a non-empty list"},
      {"metrics:\n  pid_label: maybe\ntargets: [{path: /a}]\n",
       "c.yaml:2: pid_label must be true or false"},
      {"otlp:\n  string_length: 100000\ntargets: [{path: /a}]\n",
       "c.yaml:2: string_length must be a whole number from 0 to 512"},
      {"scan_interval: never\ntargets: [{path: /a}]\n",
       "c.yaml:1: scan_interval must be a duration from 50ms to 1h"},
      {"targets:\n  - path: [1, 2]\n", "c.yaml:2: path must be a string"},
      {"targets:\n  - path: /a\n    probes: {a: b}\n",
       "c.yaml:3: probes must be a list of strings"},
      {"targets: [\n", "c.yaml:2:"},  // the YAML parser's own error, with its line
      {"- just\n- a list\n", "c.yaml:1: the config must be a mapping"},
      {"", "c.yaml: empty config"},
  };
  for (const Case& c : cases) {
    auto config = ParseServeConfig(c.text, "c.yaml");
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(config.status().message().rfind(c.error, 0), 0u)
        << c.text << "\n -> " << config.status().message();
    EXPECT_EQ(config.status().message().find('\n'), std::string::npos);
  }
}

TEST(ServeConfig, MissingFileIsNotFound) {
  auto config = LoadServeConfig("/nonexistent/gotap.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("/nonexistent/gotap.yaml"), std::string::npos);
}

output::BinaryMetrics Reading(const std::string& binary, uint64_t calls, uint32_t pid = 0) {
  output::BinaryMetrics b;
  b.binary = binary;
  b.service = "example.com/shop";
  b.go_version = "go1.27.1";
  output::FunctionMetrics f;
  f.function = "main.get";
  f.calls.count = calls;
  f.calls.sum_ns = calls * 1000;
  f.calls.buckets.assign(4, 0);
  f.calls.buckets[1] = calls;
  f.counts_errors = true;
  f.errors = calls / 4;
  f.pid = pid;
  b.functions.push_back(f);
  b.lost = {{"ring_full", calls / 100}};
  return b;
}

// Two attachments of the same binary label (the host's file and a container's copy) sum; a
// retired one's counts stay in the sum, so a counter never goes down when its session ends.
TEST(MetricsBoard, SumsAttachmentsAndKeepsRetiredCounts) {
  MetricsBoard board(0);
  const uint64_t host = board.AddSource();
  const uint64_t container = board.AddSource();
  board.Publish(host, Reading("/srv/shop", 100));
  board.Publish(container, Reading("/srv/shop", 40));
  auto merged = board.Merged();
  ASSERT_EQ(merged.size(), 1u);
  ASSERT_EQ(merged[0].functions.size(), 1u);
  EXPECT_EQ(merged[0].functions[0].calls.count, 140u);
  EXPECT_EQ(merged[0].functions[0].calls.buckets[1], 140u);
  EXPECT_EQ(merged[0].functions[0].errors, 25u + 10u);
  EXPECT_EQ(merged[0].lost[0].second, 1u);

  board.Retire(container);
  const uint64_t again = board.AddSource();  // the container's process comes back
  board.Publish(again, Reading("/srv/shop", 5));
  merged = board.Merged();
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].functions[0].calls.count, 145u);

  // Another binary is a series of its own.
  const uint64_t other = board.AddSource();
  board.Publish(other, Reading("/srv/billing", 7));
  EXPECT_EQ(board.Merged().size(), 2u);
  std::string body = board.Scrape(std::chrono::milliseconds(0));
  EXPECT_NE(body.find("gotap_calls_total{function=\"main.get\",binary=\"/srv/shop\",service="
                      "\"example.com/shop\"} 145\n"),
            std::string::npos)
      << body;
}

// Per-process series belong to their process: they leave with their session.
TEST(MetricsBoard, RetiredPidSeriesGo) {
  MetricsBoard board(0);
  const uint64_t source = board.AddSource();
  board.Publish(source, Reading("/srv/shop", 9, 4242));
  std::string body = board.Scrape(std::chrono::milliseconds(0));
  EXPECT_NE(body.find("service=\"example.com/shop\",pid=\"4242\"} 9\n"), std::string::npos) << body;
  board.Retire(source);
  ASSERT_EQ(board.Merged().size(), 1u);
  EXPECT_TRUE(board.Merged()[0].functions.empty());
}

// A scrape waits for every live source to answer, and no longer than it is told.
TEST(MetricsBoard, ScrapeAsksEveryLiveSource) {
  MetricsBoard board(0);
  const uint64_t a = board.AddSource();
  const uint64_t b = board.AddSource();
  EXPECT_FALSE(board.Wanted(a));
  std::thread scraper([&] { board.Scrape(std::chrono::milliseconds(10000)); });
  while (!board.Wanted(a) || !board.Wanted(b)) std::this_thread::yield();
  board.Publish(a, Reading("/srv/shop", 1));
  EXPECT_FALSE(board.Wanted(a));
  EXPECT_TRUE(board.Wanted(b));
  board.Retire(b);  // a retired source is not waited for
  scraper.join();
  EXPECT_FALSE(board.Wanted(b));
}

}  // namespace
}  // namespace gotap::serve
