// gotap serve --otlp against a real OpenTelemetry Collector (built from Debian's sources by
// scripts/otelcol.sh) with the debug exporter: the spans it received nest as the program's calls
// do, carry the arguments, and report non-nil errors with their messages; a collector that is
// down, then restarted, loses no span, and the metrics say what happened to each one.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "go_matrix.h"
#include "http_get.h"
#include "serve_peers.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

// The value inside Str(...) / Int(...).
std::string Inner(const std::string& printed) {
  size_t open = printed.find('(');
  return open == std::string::npos ? printed : printed.substr(open + 1, printed.size() - open - 2);
}

TEST(ServeOtlpBpf, SpansNestAsTheProgramCallsAndCarryErrors) {
  ASSERT_TRUE(std::filesystem::exists(kCollector))
      << kCollector << " is missing: scripts/otelcol.sh (run by setup) builds it";
  const uint16_t port = FreeLoopbackPort();
  Collector collector(port);
  ASSERT_TRUE(collector.Start()) << collector.Stop();

  const std::string calltree = MatrixPath("calltree", {"1.27", "default"});
  const std::string adder = MatrixPath("adder", {"1.19", "stripped"});
  auto serve_calltree = ChildProcess::Start({GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0",
                                             "--otlp", fmt::format("http://127.0.0.1:{}", port),
                                             calltree, "main.outer", "main.middle", "main.leaf"});
  auto serve_adder = ChildProcess::Start({GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0",
                                          "--otlp", fmt::format("http://127.0.0.1:{}", port), adder,
                                          "main.check(key string, value string) error"});
  for (auto* s : {serve_calltree.get(), serve_adder.get()}) {
    ASSERT_TRUE(s->WaitForLine(Stream::kErr, "gotap: serving", seconds(60))) << s->err();
  }
  // Other processes of these fixtures (other tests) would add spans: only ours are counted
  // below, by pid.
  auto run = [](const std::vector<std::string>& argv) {
    auto p = ChildProcess::Start(argv);
    auto st = p->Wait(seconds(60));
    EXPECT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p->err();
    return p->pid();
  };
  pid_t tree_pid = run({calltree, "-g", "3", "-pause", "1ms"});
  pid_t adder_pid = run({adder, "-check", "-n", "8"});
  for (auto* s : {serve_calltree.get(), serve_adder.get()}) {
    s->Signal(SIGTERM);
    auto st = s->Wait(seconds(30));
    ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << s->err();
    EXPECT_NE(s->err().find("0 rejected by the collector, 0 dropped (queue full), 0 dropped at "
                            "exit"),
              std::string::npos)
        << s->err();
  }
  std::vector<ReceivedSpan> spans = ParseDebugSpans(collector.Stop());

  // calltree: per worker w, outer(w) { middle(w, 0) { leaf(10w) } middle(w, 1) { leaf(10w+1) } }.
  std::map<std::string, const ReceivedSpan*> by_id;
  std::vector<const ReceivedSpan*> tree;
  std::vector<const ReceivedSpan*> checks;
  for (const ReceivedSpan& s : spans) {
    by_id[s.id] = &s;
    if (s.name.rfind("main.check", 0) == 0) checks.push_back(&s);
    if (s.name == "main.outer" || s.name == "main.middle" || s.name == "main.leaf") {
      tree.push_back(&s);
    }
  }
  ASSERT_EQ(tree.size(), 15u) << "3 workers x (outer, 2 middle, 2 leaf)";
  std::set<std::string> traces;
  for (const ReceivedSpan* s : tree) {
    SCOPED_TRACE(s->name + " " + s->id);
    if (s->name == "main.outer") {
      EXPECT_EQ(s->parent_id, "");
      traces.insert(s->trace_id);
      continue;
    }
    ASSERT_TRUE(by_id.count(s->parent_id)) << "parent " << s->parent_id << " not received";
    const ReceivedSpan* parent = by_id[s->parent_id];
    EXPECT_EQ(parent->trace_id, s->trace_id);
    const std::string w = Inner(s->name == "main.middle" ? s->attributes.at("gotap.arg.w")
                                                         : parent->attributes.at("gotap.arg.w"));
    if (s->name == "main.middle") {
      EXPECT_EQ(parent->name, "main.outer");
      EXPECT_EQ(Inner(parent->attributes.at("gotap.arg.w")), w);
    } else {
      EXPECT_EQ(parent->name, "main.middle");
      // leaf(10w + i) runs inside middle(w, i).
      EXPECT_EQ(Inner(s->attributes.at("gotap.arg.x")),
                std::to_string(10 * std::stoi(w) +
                               std::stoi(Inner(parent->attributes.at("gotap.arg.i")))));
    }
    EXPECT_EQ(Inner(s->attributes.at("go.goroutine.id")),
              Inner(parent->attributes.at("go.goroutine.id")));
  }
  EXPECT_EQ(traces.size(), 3u) << "one trace per worker";

  // adder -check -n 8: values alice, bob, carol, "" twice over; the empty ones return the error.
  ASSERT_EQ(checks.size(), 8u);
  int errors = 0;
  for (const ReceivedSpan* s : checks) {
    bool empty = s->attributes.at("gotap.arg.value") == "Str(\"\")";
    EXPECT_EQ(s->status_code == "Error", empty) << s->attributes.at("gotap.arg.value");
    if (empty) {
      ++errors;
      EXPECT_EQ(s->status_message, "empty value");
    }
  }
  EXPECT_EQ(errors, 2);
  (void)tree_pid;
  (void)adder_pid;
}

// Joined to the program's traces: a request whose context carries a W3C traceparent value gets
// spans with that trace id, the outermost traced call hanging under the program's span. The
// program prints each request's traceparent (the ground truth).
void ExpectSpansJoinTraceparents(const std::string& fixture,
                                 const std::vector<std::string>& probes) {
  ASSERT_TRUE(std::filesystem::exists(kCollector)) << kCollector;
  const std::string binary = PrivateCopy(fixture);
  const uint16_t port = FreeLoopbackPort();
  Collector collector(port);
  ASSERT_TRUE(collector.Start()) << collector.Stop();
  std::vector<std::string> argv = {GOTAP_BINARY, "serve",
                                   "--metrics",  "127.0.0.1:0",
                                   "--otlp",     fmt::format("http://127.0.0.1:{}", port),
                                   binary};
  argv.insert(argv.end(), probes.begin(), probes.end());
  auto serve = ChildProcess::Start(argv);
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving 2 functions", seconds(60)))
      << serve->err();
  std::string out = RunProgram({binary, "-n", "6"});
  serve->Signal(SIGTERM);
  ASSERT_TRUE(serve->Wait(seconds(30))) << serve->err();
  std::vector<ReceivedSpan> spans = ParseDebugSpans(collector.Stop());
  std::filesystem::remove(binary);

  std::map<std::string, std::pair<std::string, std::string>> program;  // id -> trace, span
  std::regex request(R"(request (\d+) traceparent 00-([0-9a-f]{32})-([0-9a-f]{16})-01)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), request);
       it != std::sregex_iterator(); ++it) {
    program[(*it)[1]] = {(*it)[2], (*it)[3]};
  }
  ASSERT_EQ(program.size(), 6u) << out;
  std::map<std::string, const ReceivedSpan*> handles;  // id -> span
  for (const ReceivedSpan& s : spans) {
    if (s.name == "main.handle") handles[Inner(s.attributes.at("gotap.arg.id"))] = &s;
  }
  ASSERT_EQ(handles.size(), 6u);
  int steps = 0;
  for (const ReceivedSpan& s : spans) {
    const std::string id = Inner(s.attributes.at("gotap.arg.id"));
    SCOPED_TRACE(s.name + " id " + id);
    ASSERT_TRUE(program.count(id));
    const auto& [trace, parent] = program[id];
    EXPECT_EQ(s.trace_id, trace);
    if (s.name == "main.handle") {
      EXPECT_EQ(s.parent_id, parent) << "the program's span is the parent";
    } else {
      EXPECT_EQ(s.name, "main.step");
      EXPECT_EQ(s.parent_id, handles[id]->id);
      EXPECT_EQ(s.status_code == "Error", std::stoi(id) % 3 == 0);
      ++steps;
    }
  }
  EXPECT_EQ(steps, 6);
}

TEST(ServeOtlpBpf, SpansJoinTheProgramsTraceparentGo127) {
  ExpectSpansJoinTraceparents(MatrixPath("traceparent", {"1.27", "default"}),
                              {"main.handle", "main.step"});
}

TEST(ServeOtlpBpf, SpansJoinTheProgramsTraceparentGo119Stripped) {
  ExpectSpansJoinTraceparents(MatrixPath("traceparent", {"1.19", "stripped"}),
                              {"main.handle(ctx context.Context, id int) error",
                               "main.step(ctx context.Context, id int) error"});
}

// The otelsdk fixture, instrumented with the real OpenTelemetry Go SDK, exports its own "request"
// spans to the same collector gotap serve exports to. On the collector's side, gotap's handle
// span must share the request span's trace id and hang under it, and step under handle: the
// span's ids were read from the SDK's span struct in the context, at offsets from the type data.
void ExpectSpansJoinOtelSdkTraces(const std::string& fixture,
                                  const std::vector<std::string>& probes) {
  ASSERT_TRUE(std::filesystem::exists(kCollector)) << kCollector;
  const std::string binary = PrivateCopy(fixture);
  const uint16_t port = FreeLoopbackPort();
  const std::string url = fmt::format("http://127.0.0.1:{}", port);
  Collector collector(port);
  ASSERT_TRUE(collector.Start()) << collector.Stop();
  std::vector<std::string> argv = {GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0",
                                   "--otlp",     url,     binary};
  argv.insert(argv.end(), probes.begin(), probes.end());
  auto serve = ChildProcess::Start(argv);
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving 2 functions", seconds(60)))
      << serve->err();
  std::string out = RunProgram({binary, "-n", "6", "-otlp", url});
  serve->Signal(SIGTERM);
  ASSERT_TRUE(serve->Wait(seconds(30))) << serve->err();
  std::string log = collector.Stop();
  std::vector<ReceivedSpan> spans = ParseDebugSpans(log);
  std::filesystem::remove(binary);

  // The program's ground truth, and its spans as the collector received them.
  std::map<std::string, std::pair<std::string, std::string>> printed;  // id -> trace, span
  std::regex request(R"(request (\d+) trace ([0-9a-f]{32}) span ([0-9a-f]{16}) error)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), request);
       it != std::sregex_iterator(); ++it) {
    printed[(*it)[1]] = {(*it)[2], (*it)[3]};
  }
  ASSERT_EQ(printed.size(), 6u) << out;
  std::map<std::string, const ReceivedSpan*> requests, handles;  // id -> span
  for (const ReceivedSpan& s : spans) {
    if (s.name == "request") requests[Inner(s.attributes.at("request.id"))] = &s;
    if (s.name == "main.handle") handles[Inner(s.attributes.at("gotap.arg.id"))] = &s;
  }
  ASSERT_EQ(requests.size(), 6u) << log;
  ASSERT_EQ(handles.size(), 6u) << log;
  int steps = 0;
  for (const ReceivedSpan& s : spans) {
    if (s.name == "request") continue;
    const std::string id = Inner(s.attributes.at("gotap.arg.id"));
    SCOPED_TRACE(s.name + " id " + id);
    ASSERT_TRUE(requests.count(id));
    const ReceivedSpan& program = *requests[id];
    EXPECT_EQ(program.trace_id, printed[id].first);
    EXPECT_EQ(program.id, printed[id].second);
    EXPECT_EQ(s.trace_id, program.trace_id);
    auto joined = s.attributes.find("gotap.joined");
    EXPECT_TRUE(joined != s.attributes.end() && joined->second == "Str(otel.span)");
    if (s.name == "main.handle") {
      EXPECT_EQ(s.parent_id, program.id) << "the program's request span is the parent";
    } else {
      EXPECT_EQ(s.name, "main.step");
      EXPECT_EQ(s.parent_id, handles[id]->id);
      EXPECT_EQ(s.status_code == "Error", std::stoi(id) % 3 == 0);
      ++steps;
    }
  }
  EXPECT_EQ(steps, 6);
}

TEST(ServeOtlpBpf, SpansJoinTheOtelSdkTracesGo119) {
  ExpectSpansJoinOtelSdkTraces(Fixture("otelsdk.default"), {"main.handle", "main.step"});
}

TEST(ServeOtlpBpf, SpansJoinTheOtelSdkTracesGo119Stripped) {
  ExpectSpansJoinOtelSdkTraces(Fixture("otelsdk.stripped"),
                               {"main.handle(ctx context.Context, id int) error",
                                "main.step(ctx context.Context, id int) error"});
}

// The collector is down when the calls happen and comes up later: the spans wait in the queue
// and arrive, retried with backoff; the failures are counted, nothing is dropped.
TEST(ServeOtlpBpf, CollectorDownThenUpLosesNothing) {
  ASSERT_TRUE(std::filesystem::exists(kCollector)) << kCollector;
  const uint16_t port = FreeLoopbackPort();
  const std::string adder = MatrixPath("adder", {"1.27", "default"});
  auto serve = ChildProcess::Start({GOTAP_BINARY, "serve", "--metrics", "127.0.0.1:0", "--otlp",
                                    fmt::format("http://127.0.0.1:{}", port), adder, "main.check"});
  auto line = serve->WaitForLine(Stream::kErr, "metrics at http://", seconds(30));
  ASSERT_TRUE(line) << serve->err();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(:(\d+)/metrics)")));
  const uint16_t metrics_port = static_cast<uint16_t>(std::stoul(m[1]));
  ASSERT_TRUE(serve->WaitForLine(Stream::kErr, "gotap: serving", seconds(60))) << serve->err();

  auto p = ChildProcess::Start({adder, "-check", "-n", "1000"});
  ASSERT_TRUE(p->Wait(seconds(60)));
  // Wait until at least one export attempt failed (nobody listens on the port).
  std::optional<double> failures;
  for (int i = 0; i < 100 && !(failures && *failures > 0); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    failures = MetricSample(metrics_port, "gotap_span_export_failures_total");
  }
  ASSERT_TRUE(failures && *failures > 0) << HttpGet(metrics_port, "/metrics").body;
  EXPECT_EQ(MetricSample(metrics_port, "gotap_spans_exported_total"), 0);

  Collector collector(port);
  ASSERT_TRUE(collector.Start()) << collector.Stop();
  std::optional<double> exported;
  for (int i = 0; i < 200 && exported != 1000; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    exported = MetricSample(metrics_port, "gotap_spans_exported_total");
  }
  EXPECT_EQ(exported, 1000) << HttpGet(metrics_port, "/metrics").body;
  EXPECT_EQ(MetricSample(metrics_port, "gotap_spans_dropped_total{reason=\"queue_full\"}"), 0);
  serve->Signal(SIGTERM);
  ASSERT_TRUE(serve->Wait(seconds(30)));
  std::vector<ReceivedSpan> spans = ParseDebugSpans(collector.Stop());
  size_t checks = std::count_if(spans.begin(), spans.end(),
                                [](const ReceivedSpan& s) { return s.name == "main.check"; });
  EXPECT_EQ(checks, 1000u);
}

}  // namespace
}  // namespace gotap::testing
