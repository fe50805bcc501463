// A picture of a recording: one lane per goroutine, one box per call, nested calls stacked below
// their callers, time left to right. An SVG file any browser shows, for a look without Perfetto
// (`gotap record --svg FILE`).
#pragma once

#include <memory>
#include <ostream>

#include "output/call_sink.h"

namespace gotap::output {

// Keeps up to `max_calls` calls (then counts the rest and says so in the picture) and writes
// the SVG when destroyed.
std::unique_ptr<CallSink> MakeTimelineSvgSink(std::ostream& out, size_t max_calls = 20000);

// Sends every call to each of `sinks`.
std::unique_ptr<CallSink> MakeTeeSink(std::vector<std::unique_ptr<CallSink>> sinks);

}  // namespace gotap::output
