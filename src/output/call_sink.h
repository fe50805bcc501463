// Where traced calls go: one Sink interface, text and JSON-lines writers on an injected stream.
#pragma once

#include <memory>
#include <ostream>

#include "base/json_writer.h"
#include "output/call_event.h"

namespace gotap::output {

class CallSink {
 public:
  virtual ~CallSink() = default;
  virtual void Write(const CallEvent& event) = 0;
  virtual void Flush() = 0;
  // Writes what the format needs after the last call (a closing bracket, a picture, calls still
  // held back) and flushes. Called once after the last Write, so that the caller can then check
  // that everything reached the output; a sink destroyed unfinished finishes itself.
  virtual void Finish() { Flush(); }
};

// 12:00:01.000123 pid=4242 tid=4250 g=17 main.swap(x="hello", y="go") → ("go", "hello")  1.8µs
std::unique_ptr<CallSink> MakeTextSink(std::ostream& out);
// {"event":"call","ts_ns":…,"pid":…,"tid":…,"goid":…,"func":…,"args":[{"name","type","value"}],
//  "results":[…],"duration_ns":…}
std::unique_ptr<CallSink> MakeJsonSink(std::ostream& out);

// `x="hello", n=3` (names) or `"hello", 3`: values as the text sink shows them, escaped.
std::string FormatValueList(const std::vector<decode::CapturedValue>& values, bool names);
// [{"name":…,"type":…,"value":…}, …] as the JSON sink writes arguments and results.
void WriteJsonValues(const std::vector<decode::CapturedValue>& values, JsonWriter* w);

// A call whose record ran out of room (CallEvent::truncated): the names of its values with
// bytes the probe could not capture, and the text sink's note naming them.
std::vector<std::string> ValuesCutShort(const CallEvent& e);
std::string TruncationNote(const CallEvent& e);

// "850ns", "1.8µs", "12.3ms", "1.20s".
std::string FormatDuration(uint64_t ns);

}  // namespace gotap::output
