// `gotap record`: a Chrome trace-event file that a real JSON parser reads, with one track per
// goroutine and properly nested complete events on each; and its SVG picture, rasterized.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

struct Slice {
  int64_t start_ns, end_ns;
  std::string name;
};

// µs with three decimals in the file: back to integer ns without rounding drift.
int64_t Ns(const Json& us) { return std::llround(us.get<double>() * 1000); }

// On every Go release of the matrix (DWARF builds).
class RecordBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(RecordBpf, "default");

TEST_P(RecordBpf, PerfettoFileHasNestedSlicesPerGoroutine) {
  std::string json_path = ::testing::TempDir() + "gotap-record.json";
  std::string svg_path = ::testing::TempDir() + "gotap-record.svg";
  RunResult r = RunGotapWithin({"record", "-o", json_path, "--svg", svg_path, "main.outer",
                                "main.middle", "main.leaf", "--", GoFixture("calltree"), "-g", "6"},
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CommandExitStatus(r.err), 0) << r.err;

  Json trace = Json::parse(ReadText(json_path), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(trace.is_array()) << ReadText(json_path).substr(0, 400);
  std::map<uint64_t, std::string> track_names;
  std::map<uint64_t, std::vector<Slice>> tracks;
  int processes = 0;
  for (const Json& e : trace) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("tid")) << e.dump();
    if (e["ph"] == "M") {
      if (e["name"] == "process_name") ++processes;
      if (e["name"] == "thread_name") track_names[e["tid"]] = e["args"]["name"];
      continue;
    }
    ASSERT_EQ(e["ph"], "X") << e.dump();
    ASSERT_TRUE(e.contains("ts") && e.contains("dur") && e.contains("args")) << e.dump();
    int64_t start = Ns(e["ts"]);
    tracks[e["tid"]].push_back({start, start + Ns(e["dur"]), e["name"]});
    if (e["name"] == "main.leaf") EXPECT_TRUE(e["args"].contains("x")) << e.dump();
    if (e["name"] == "main.middle") {
      EXPECT_TRUE(e["args"].contains("w") && e["args"].contains("i") && e["args"].contains("r0"))
          << e.dump();
    }
  }
  EXPECT_EQ(processes, 1);
  ASSERT_EQ(tracks.size(), 6u);
  for (auto& [goid, slices] : tracks) {
    EXPECT_EQ(track_names[goid], fmt::format("goroutine {}", goid));
    ASSERT_EQ(slices.size(), 5u) << "goroutine " << goid;
    // Every pair of slices on a track nests or is disjoint: the track is a proper call tree.
    for (const Slice& a : slices) {
      for (const Slice& b : slices) {
        bool disjoint = a.end_ns <= b.start_ns || b.end_ns <= a.start_ns;
        bool nested = (a.start_ns <= b.start_ns && b.end_ns <= a.end_ns) ||
                      (b.start_ns <= a.start_ns && a.end_ns <= b.end_ns);
        EXPECT_TRUE(disjoint || nested) << a.name << " and " << b.name << " overlap on " << goid;
      }
    }
    std::sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) {
      return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.end_ns > b.end_ns;
    });
    std::vector<std::string> names;
    for (const Slice& s : slices) names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"main.outer", "main.middle", "main.leaf",
                                               "main.middle", "main.leaf"}));
  }

  // The picture: an SVG with a lane per goroutine, rasterized by a real renderer.
  std::string svg = ReadText(svg_path);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  for (const auto& [goid, name] : track_names) {
    EXPECT_NE(svg.find(">" + name + "<"), std::string::npos) << name;
  }
  std::string png = ::testing::TempDir() + "gotap-record.png";
  std::string command = "rsvg-convert -o " + png + " " + svg_path;
  int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  std::string image = ReadText(png);
  ASSERT_GT(image.size(), 1000u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace gotap::testing
