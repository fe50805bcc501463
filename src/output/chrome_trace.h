// `gotap record`: calls in the Chrome trace-event JSON format (ui.perfetto.dev, chrome://tracing).
//
// JSON array format, streamed: "[" first, one event per line, "]" at the end; events are
// written as calls end, never collected in memory. Per process a "process_name" metadata event;
// per goroutine a track (tid = goid) named "goroutine N", sorted by goid. Each call is one
// complete event ("ph":"X") with ts/dur in µs (ns precision: three decimals, relative to the
// first call recorded), its arguments and results as slice args, and the OS threads it ran on.
// Calls of one goroutine nest by construction (one shadow stack per goroutine), so every track
// holds properly nested slices. A recording cut short (gotap killed) lacks only the final "]",
// which the format allows.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "output/call_sink.h"

namespace gotap::output {

// `process_label` names the processes ("server" → "server (pid 4242)").
std::unique_ptr<CallSink> MakeChromeTraceSink(std::ostream& out, std::string process_label);

}  // namespace gotap::output
