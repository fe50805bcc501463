#include "output/timeline_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "base/escape.h"

namespace gotap::output {
namespace {

constexpr double kGutter = 150;  // lane labels
constexpr double kPlotWidth = 1200;
constexpr double kRowHeight = 18;
constexpr double kLaneGap = 10;
constexpr double kAxisHeight = 30;

// Text for an SVG text node or attribute: escaped for the terminal (no control bytes, valid
// UTF-8), then for XML.
std::string Xml(std::string_view raw) {
  std::string out;
  for (char c : EscapeForTerminal(raw)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A stable colour per function name.
std::string Colour(const std::string& func) {
  uint32_t h = 2166136261u;
  for (unsigned char c : func) h = (h ^ c) * 16777619u;
  return fmt::format("hsl({},65%,72%)", h % 360);
}

// "main.(*Store).Get" → "(*Store).Get": the part after the package path, for box labels.
std::string ShortName(const std::string& func) {
  size_t slash = func.rfind('/');
  size_t dot = func.find('.', slash == std::string::npos ? 0 : slash);
  return dot == std::string::npos ? func : func.substr(dot + 1);
}

class TimelineSvgSink : public CallSink {
 public:
  TimelineSvgSink(std::ostream& out, size_t max_calls) : out_(out), max_calls_(max_calls) {}
  ~TimelineSvgSink() override { Finish(); }

  void Write(const CallEvent& e) override {
    if (calls_.size() >= max_calls_) {
      ++dropped_;
      return;
    }
    calls_.push_back({e.pid, Lane(e), e.level, e.ts_ns,
                      e.kind == CallKind::kEntryOnly ? 0 : e.duration_ns, e.func});
  }
  void Flush() override {}
  void Finish() override {
    if (!rendered_) Render();
    rendered_ = true;
  }

 private:
  struct Call {
    uint32_t pid;
    uint64_t lane;  // output::Lane
    uint32_t level;
    uint64_t start, duration;
    std::string func;
  };

  void Render() {
    uint64_t t0 = UINT64_MAX, t1 = 0;
    std::map<std::pair<uint32_t, uint64_t>, uint32_t> levels;  // lane → deepest level
    for (const Call& c : calls_) {
      t0 = std::min(t0, c.start);
      t1 = std::max(t1, c.start + c.duration);
      uint32_t& deepest = levels[{c.pid, c.lane}];
      deepest = std::max(deepest, c.level);
    }
    if (calls_.empty()) t0 = t1 = 0;
    double span = t1 > t0 ? static_cast<double>(t1 - t0) : 1;
    std::map<std::pair<uint32_t, uint64_t>, double> lane_y;
    double y = kAxisHeight;
    for (const auto& [lane, deepest] : levels) {
      lane_y[lane] = y;
      y += (deepest + 1) * kRowHeight + kLaneGap;
    }
    double height = y + 24;
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
        "font-family=\"sans-serif\" font-size=\"11\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        kGutter + kPlotWidth + 20, height);
    // Time axis: ten ticks over the recording.
    for (int i = 0; i <= 10; ++i) {
      double x = kGutter + kPlotWidth * i / 10;
      s += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#ddd\"/>\n"
          "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
          x, kAxisHeight - 6, x, height - 24, x, kAxisHeight - 10,
          Xml(FormatDuration(static_cast<uint64_t>(span * i / 10))));
    }
    for (const auto& [lane, top] : lane_y) {
      const bool system = (lane.second >> 32) != 0;  // output::Lane of a system stack
      s += fmt::format("<text x=\"6\" y=\"{:.1f}\" font-weight=\"bold\">{} {}</text>\n", top + 13,
                       system ? "system stack, thread" : "goroutine",
                       system ? lane.second & 0xffffffffu : lane.second);
      if (lane_y.begin()->first.first != lane_y.rbegin()->first.first) {  // several processes
        s += fmt::format("<text x=\"6\" y=\"{:.1f}\" fill=\"#777\">pid {}</text>\n", top + 26,
                         lane.first);
      }
    }
    for (const Call& c : calls_) {
      double x = kGutter + kPlotWidth * static_cast<double>(c.start - t0) / span;
      double w = std::max(1.0, kPlotWidth * static_cast<double>(c.duration) / span);
      double top = lane_y[{c.pid, c.lane}] + c.level * kRowHeight;
      s += fmt::format(
          "<g><title>{} {}</title><rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\" "
          "fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/>",
          Xml(c.func), Xml(FormatDuration(c.duration)), x, top, w, kRowHeight - 2, Colour(c.func));
      if (w > 40) {
        s += fmt::format(
            "<svg x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\"><text x=\"3\" "
            "y=\"12\">{}</text></svg>",
            x, top, w - 2, kRowHeight - 2, Xml(ShortName(c.func)));
      }
      s += "</g>\n";
    }
    std::string footer =
        fmt::format("{} calls over {}", calls_.size(), FormatDuration(static_cast<uint64_t>(span)));
    if (dropped_ > 0) footer += fmt::format("; {} more calls not drawn", dropped_);
    s += fmt::format("<text x=\"6\" y=\"{:.1f}\" fill=\"#555\">{}</text>\n</svg>\n", height - 8,
                     Xml(footer));
    out_.write(s.data(), static_cast<std::streamsize>(s.size()));
    out_.flush();
  }

  std::ostream& out_;
  size_t max_calls_;
  std::vector<Call> calls_;
  uint64_t dropped_ = 0;
  bool rendered_ = false;  // the picture is written (it is written once, whole)
};

class TeeSink : public CallSink {
 public:
  explicit TeeSink(std::vector<std::unique_ptr<CallSink>> sinks) : sinks_(std::move(sinks)) {}
  void Write(const CallEvent& e) override {
    for (auto& s : sinks_) s->Write(e);
  }
  void Flush() override {
    for (auto& s : sinks_) s->Flush();
  }
  void Finish() override {
    for (auto& s : sinks_) s->Finish();
  }

 private:
  std::vector<std::unique_ptr<CallSink>> sinks_;
};

}  // namespace

std::unique_ptr<CallSink> MakeTimelineSvgSink(std::ostream& out, size_t max_calls) {
  return std::make_unique<TimelineSvgSink>(out, max_calls);
}

std::unique_ptr<CallSink> MakeTeeSink(std::vector<std::unique_ptr<CallSink>> sinks) {
  return std::make_unique<TeeSink>(std::move(sinks));
}

}  // namespace gotap::output
