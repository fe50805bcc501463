// A real third-party Go server traced live: Debian's Prometheus 2.42 (Go 1.19.8, stripped: no
// symbols, no DWARF, 63,000 functions, 15,000 struct types). Its net/http handler's *http.Request
// is followed at the probe from the binary's type data, and read back as the request the test
// sent: the ground truth is what went on the wire.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "http_get.h"
#include "serve_peers.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

// The server's own HTTP entry point; the receiver (one *Server word) is left a word so that
// the capture area goes to the request.
constexpr const char* kServeHttp =
    "net/http.serverHandler.ServeHTTP(sh uintptr, w net/http.ResponseWriter, "
    "r *net/http.Request)";

// A Prometheus serving on a free loopback port from its own folder, with nothing to scrape.
class Prometheus {
 public:
  Prometheus() : dir_(::testing::TempDir() + fmt::format("gotap-third-party-{}", getpid())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/data");
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n  scrape_interval: 1m\n";
    binary_ = PrivateCopy(kPrometheus);  // uprobes follow the file: no other test's server
    port_ = FreeLoopbackPort();
    process_ = ChildProcess::Start({binary_, "--config.file=" + dir_ + "/prometheus.yml",
                                    "--storage.tsdb.path=" + dir_ + "/data",
                                    fmt::format("--web.listen-address=127.0.0.1:{}", port_),
                                    "--log.level=warn"});
  }
  ~Prometheus() {
    process_->Signal(SIGTERM);
    process_->Wait(seconds(20));
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(binary_);
  }

  // Whether /-/ready answers 200 within 30 s.
  bool WaitReady() {
    auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (HttpGet(port_, "/-/ready").status == 200) return true;
      std::this_thread::sleep_for(milliseconds(200));
    }
    return false;
  }

  uint16_t port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  std::string log() const { return process_->err(); }

 private:
  std::string dir_, binary_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

TEST(ThirdPartyServerBpf, PrometheusRequestsReadAsSent) {
  ASSERT_TRUE(std::filesystem::exists(kPrometheus)) << "scripts/setup.sh installs prometheus";
  Prometheus prometheus;
  ASSERT_TRUE(prometheus.WaitReady()) << prometheus.log();
  auto trace = ChildProcess::Start(
      {GOTAP_BINARY, "trace", "--json", "-p", std::to_string(prometheus.pid()), kServeHttp});
  ASSERT_TRUE(trace->WaitForLine(Stream::kErr, "tracing", seconds(60))) << trace->err();
  const std::vector<std::pair<std::string, std::string>> sent = {
      {"/api/v1/query", "query=up"}, {"/-/healthy", ""}, {"/api/v1/labels", "match%5B%5D=up"}};
  for (const auto& [path, query] : sent) {
    HttpReply reply = HttpGet(prometheus.port(), query.empty() ? path : path + "?" + query);
    EXPECT_EQ(reply.status, 200) << path << " " << reply.body;
  }
  std::this_thread::sleep_for(milliseconds(500));
  trace->Signal(SIGINT);
  ASSERT_TRUE(trace->Wait(seconds(30))) << trace->err();

  const std::string host = fmt::format("127.0.0.1:{}", prometheus.port());
  std::vector<Json> calls =
      EventsOf(ParseJsonLines(trace->out()), "net/http.serverHandler.ServeHTTP");
  ASSERT_EQ(calls.size(), sent.size()) << trace->out() << trace->err();
  for (size_t i = 0; i < sent.size(); ++i) {
    const auto& [path, query] = sent[i];
    const Json r = ValueOf(calls[i], "args", "r");
    ASSERT_TRUE(r.is_object()) << calls[i].dump();
    EXPECT_EQ(r["type"], "http.Request") << r.dump();
    const Json& f = r["fields"];
    EXPECT_EQ(f["Method"], "GET") << r.dump();
    EXPECT_EQ(f["Proto"], "HTTP/1.1");
    EXPECT_EQ(f["ProtoMajor"], 1);
    EXPECT_EQ(f["Host"], host);
    EXPECT_EQ(f["RequestURI"], query.empty() ? path : path + "?" + query);
    EXPECT_TRUE(f["RemoteAddr"].get<std::string>().starts_with("127.0.0.1:")) << r.dump();
    EXPECT_EQ(f["ContentLength"], 0);
    // The *url.URL inside, followed too.
    EXPECT_EQ(f["URL"]["type"], "url.URL") << r.dump();
    EXPECT_EQ(f["URL"]["fields"]["Path"], path) << r.dump();
    EXPECT_EQ(f["URL"]["fields"]["RawQuery"], query) << r.dump();
  }
  EXPECT_NE(trace->err().find("events lost 0"), std::string::npos) << trace->err();
}

}  // namespace
}  // namespace gotap::testing
