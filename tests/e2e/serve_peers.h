// The real peers of gotap serve's end-to-end tests, and helpers to drive the agent: a Prometheus
// server (Debian's package) scraping it, an OpenTelemetry Collector (scripts/otelcol.sh) whose
// debug exporter's log tells what it received, and readers of /metrics.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_get.h"
#include "run_gotap.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {

inline const std::string kPrometheus = "/usr/bin/prometheus";
inline const std::string kCollector =
    std::string(GOTAP_SOURCE_DIR) + "/.cache/otelcol/otelcol-gotap";
inline const std::string kConfigTemplate =
    std::string(GOTAP_SOURCE_DIR) + "/tests/tools/otelcol/config.yaml.in";

using std::chrono::milliseconds;
using std::chrono::seconds;

// A Prometheus server with one job scraping gotap every second, in its own temporary folder.
class PrometheusServer {
 public:
  static std::unique_ptr<PrometheusServer> Start(uint16_t target_port) {
    auto p = std::unique_ptr<PrometheusServer>(new PrometheusServer());
    p->dir_ = ::testing::TempDir() + fmt::format("gotap-prometheus-{}", getpid());
    std::filesystem::remove_all(p->dir_);
    std::filesystem::create_directories(p->dir_ + "/data");
    std::ofstream(p->dir_ + "/prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: gotap\n    static_configs:\n"
        << fmt::format("      - targets: ['127.0.0.1:{}']\n", target_port);
    p->port_ = FreeLoopbackPort();
    p->process_ = ChildProcess::Start({kPrometheus, "--config.file=" + p->dir_ + "/prometheus.yml",
                                       "--storage.tsdb.path=" + p->dir_ + "/data",
                                       fmt::format("--web.listen-address=127.0.0.1:{}", p->port_),
                                       "--log.level=warn"});
    return p;
  }

  ~PrometheusServer() {
    process_->Signal(SIGTERM);
    process_->Wait(seconds(20));
    std::filesystem::remove_all(dir_);
  }

  // The value of a PromQL query that yields one sample; nullopt while it yields none.
  std::optional<double> Query(const std::string& promql) {
    HttpReply r = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(promql));
    if (r.status != 200) return std::nullopt;
    Json j = Json::parse(r.body, nullptr, false);
    if (j.is_discarded() || j["status"] != "success") return std::nullopt;
    const Json& result = j["data"]["result"];
    if (j["data"]["resultType"] == "scalar") return std::stod(result[1].get<std::string>());
    if (!result.is_array() || result.size() != 1) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  // Polls the query until it yields `want` (the scrape after the programs ended) or 30 s pass;
  // returns the last value seen.
  std::optional<double> QueryUntil(const std::string& promql, double want) {
    auto deadline = std::chrono::steady_clock::now() + seconds(30);
    std::optional<double> v;
    while (std::chrono::steady_clock::now() < deadline) {
      v = Query(promql);
      if (v && *v == want) return v;
      std::this_thread::sleep_for(milliseconds(250));
    }
    return v;
  }

  std::string log() const { return process_->err(); }

 private:
  PrometheusServer() = default;
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Runs `argv` to its end and returns its stdout.
inline std::string RunProgram(const std::vector<std::string>& argv) {
  auto p = ChildProcess::Start(argv);
  auto status = p->Wait(seconds(120));
  EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << argv[0] << ": " << (status ? DescribeStatus(*status) : "timeout") << " " << p->err();
  return p->out();
}

// The port of "gotap: metrics at http://127.0.0.1:PORT/metrics".
inline uint16_t MetricsPort(ChildProcess& serve) {
  auto line = serve.WaitForLine(Stream::kErr, "metrics at http://", seconds(30));
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex(R"(:(\d+)/metrics)"))) return 0;
  return static_cast<uint16_t>(std::stoul(m[1]));
}

// The value of the sample named exactly `series` in a /metrics body.
inline std::optional<double> SampleOf(const std::string& body, const std::string& series) {
  size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(body.substr(at + series.size() + 2));
}

// A private copy of `fixture`: uprobes follow the file, so other tests running the same fixture
// at the same time would be counted too.
inline std::string PrivateCopy(const std::string& fixture) {
  std::string copy =
      ::testing::TempDir() + fmt::format("gotap-serve-{}-{}", getpid(),
                                         std::filesystem::path(fixture).filename().string());
  std::filesystem::copy_file(fixture, copy, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_all);
  return copy;
}

// One span as the collector's debug exporter printed it.
struct ReceivedSpan {
  std::string trace_id, parent_id, id, name, status_code, status_message;
  std::map<std::string, std::string> attributes;  // key -> value as printed: Str(x), Int(3)
};

// Parses the debug exporter's detailed output (on the collector's stderr).
inline std::vector<ReceivedSpan> ParseDebugSpans(const std::string& log) {
  std::vector<ReceivedSpan> spans;
  std::istringstream in(log);
  static const std::regex field(
      R"(^\s*(Trace ID|Parent ID|ID|Name|Status code|Status message)\s*: ?(.*)$)");
  static const std::regex attribute(R"(^\s*-> ([^:]+): (.*)$)");
  bool in_span = false;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (line.find("Span #") != std::string::npos) {
      spans.emplace_back();
      in_span = true;
    } else if (line.find("ResourceSpans #") != std::string::npos ||
               line.find("ScopeSpans #") != std::string::npos) {
      in_span = false;
    } else if (in_span && std::regex_match(line, m, field)) {
      std::string key = m[1], value = m[2];
      ReceivedSpan& s = spans.back();
      if (key == "Trace ID") s.trace_id = value;
      if (key == "Parent ID") s.parent_id = value;
      if (key == "ID") s.id = value;
      if (key == "Name") s.name = value;
      if (key == "Status code") s.status_code = value;
      if (key == "Status message") s.status_message = value;
    } else if (in_span && std::regex_match(line, m, attribute)) {
      spans.back().attributes[m[1]] = m[2];
    }
  }
  return spans;
}

class Collector {
 public:
  // `verbosity`: the debug exporter's, "detailed" (every span, for ParseDebugSpans) or "basic"
  // (a count per export, for loads).
  explicit Collector(uint16_t port, const std::string& verbosity = "detailed") : port_(port) {
    static int instances = 0;
    config_ = ::testing::TempDir() +
              fmt::format("gotap-otelcol-{}-{}-{}.yaml", getpid(), port, ++instances);
    log_file_ = config_ + ".log";
    std::string text = ReadText(kConfigTemplate);
    text = std::regex_replace(text, std::regex("@PORT@"), std::to_string(port));
    text = std::regex_replace(text, std::regex("verbosity: detailed"), "verbosity: " + verbosity);
    std::ofstream(config_) << text;
  }
  ~Collector() {
    Stop();
    std::filesystem::remove(config_);
    std::filesystem::remove(log_file_);
  }

  // Starts the collector and waits until its OTLP port answers. Its log goes to a file: the
  // debug exporter writes every span before the export is answered, so a pipe nobody drains
  // would stall the exports.
  bool Start() {
    process_ = ChildProcess::Start(
        {"/bin/sh", "-c",
         fmt::format("exec {} --config {} >>{} 2>&1", kCollector, config_, log_file_)});
    auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (HttpGet(port_, "/").status != 0) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  // Stops it and returns everything it logged.
  std::string Stop() {
    if (!process_) return ReadText(log_file_);
    process_->Signal(SIGTERM);
    process_->Wait(seconds(30));
    process_.reset();
    return ReadText(log_file_);
  }

 private:
  uint16_t port_;
  std::string config_;
  std::string log_file_;
  std::unique_ptr<ChildProcess> process_;
};

// The value of the series `series` (name and labels as printed) in the agent's /metrics.
inline std::optional<double> MetricSample(uint16_t port, const std::string& series) {
  std::string body = HttpGet(port, "/metrics").body;
  size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(body.substr(at + series.size() + 2));
}

}  // namespace gotap::testing
