// One BPF session of gotap serve: one binary file's probes, attached for every process running
// that file, counted (and turned into spans) in a thread of its own until stopped.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gobin/binary.h"
#include "probe/selector.h"
#include "serve/metrics_board.h"
#include "serve/otlp_exporter.h"
#include "trace/plan.h"

namespace gotap::serve {

// A binary read from disk and the plan of its probes.
struct LoadedTarget {
  std::unique_ptr<gobin::Binary> binary;
  trace::TracePlan plan;
};

// How an attachment counts: `records` when every call reaches userspace (spans, pid labels),
// else in the kernel's histograms.
struct CountingOptions {
  bool records = false;
  bool by_pid = false;
  int string_length = 64;
};

// Opens `open_path` (a file, or /proc/PID/exe) and plans `selectors` in it; plan notes go to
// `log`. kUnsupported: well-formed but not traceable; other codes: bad input.
StatusOr<LoadedTarget> LoadTarget(const std::string& open_path,
                                  const std::vector<probe::Selector>& selectors,
                                  const CountingOptions& counting,
                                  const std::function<void(const std::string&)>& log);

// What every attachment shares; all of it outlives the attachments.
struct AttachmentContext {
  MetricsBoard* board = nullptr;
  OtlpExporter* exporter = nullptr;  // null: no spans
  CountingOptions counting;
  std::function<void(const std::string&)> log;  // one line, no "gotap: " prefix; thread-safe
  std::string attached_verb = "serving";        // the attach line's first word
};

class Attachment {
 public:
  // Starts the session's thread. `open_path` is what the uprobes attach to (the file, or
  // /proc/PID/exe of a process that runs it); `label_path` is the binary label of its series.
  static std::unique_ptr<Attachment> Start(std::string open_path, std::string label_path,
                                           LoadedTarget target, const AttachmentContext& context);
  ~Attachment();  // Stop()
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  // Asks the session to end without waiting (Stop waits).
  void RequestStop() { stop_ = 1; }
  // Detaches and waits for the thread; the board keeps the session's final counts.
  void Stop();
  bool attached() const { return attached_.load(); }
  // False once the session ended by itself (a failure, already logged).
  bool running() const { return !ended_.load(); }
  const std::string& label_path() const { return label_path_; }

 private:
  Attachment(std::string open_path, std::string label_path, LoadedTarget target,
             const AttachmentContext& context);
  void Run();

  const std::string open_path_;
  const std::string label_path_;
  LoadedTarget target_;
  AttachmentContext context_;
  volatile std::sig_atomic_t stop_ = 0;
  std::atomic<bool> attached_{false};
  std::atomic<bool> ended_{false};
  std::thread thread_;
};

}  // namespace gotap::serve
