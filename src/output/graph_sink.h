// `gotap graph`: calls shown as a function graph per goroutine, like ftrace's function_graph.
//
// Records arrive when calls end (innermost first), so a goroutine's calls are held until its
// outermost open traced call ends, then printed in entry order, nested by level:
//
//   ── goroutine 7 (pid 4242) ──────────
//   12:00:01.000100  4250       main.handle(n=3) {
//   12:00:01.000130  4250         main.parse(s="x") → 3                         1.2µs
//   12:00:01.000140  4250         main.store() {
//   12:00:01.000150  4251           main.write()                                3.0µs
//                    4251         } main.store                                 10.0µs
//                    4250→4251  } main.handle                                  12.3ms
//
// The header marks every switch to another goroutine. A call that moved between threads shows
// both (entry→return). Goroutines whose outermost call runs on are printed after `hold` with
// the calls that ended so far, and the rest follows when it ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>

#include "output/call_sink.h"

namespace gotap::output {

struct GraphOptions {
  uint64_t min_ns = 0;                   // hide calls shorter than this, and everything inside them
  std::optional<uint64_t> goid;          // only this goroutine
  bool json = false;                     // JSON lines (the trace's, with "level") in graph order
  std::chrono::milliseconds hold{2000};  // longest time a finished call waits for its caller
};

std::unique_ptr<CallSink> MakeGraphSink(std::ostream& out, const GraphOptions& options);

}  // namespace gotap::output
