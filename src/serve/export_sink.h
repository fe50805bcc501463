// Where gotap serve sends each traced call when calls reach userspace (spans, or pid labels):
// counted for /metrics (CallStats) and, with an exporter, turned into a span for the collector
// with its process's resource attributes.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "output/call_sink.h"
#include "serve/call_stats.h"
#include "serve/otlp_exporter.h"
#include "serve/span_builder.h"

namespace gotap::serve {

// What every span's resource says about the program (the pid is added per process).
struct ProgramIdentity {
  std::string service_name;     // the main module's path
  std::string service_version;  // the main module's version ("(devel)" when built from a tree)
  std::string executable_path;
  std::string go_version;  // "go1.27.3"
  std::string host_name;
};

class ExportSink : public output::CallSink {
 public:
  // `plan` and `exporter` outlive the sink; a null exporter: calls are only counted. `by_pid`:
  // counts per process (CallStats).
  ExportSink(const trace::TracePlan& plan, ProgramIdentity identity, OtlpExporter* exporter,
             bool by_pid);

  void Write(const output::CallEvent& e) override;
  void Flush() override {}

  const CallStats& stats() const { return stats_; }

 private:
  std::shared_ptr<const output::Attributes> ResourceOf(uint32_t pid);

  CallStats stats_;
  ProgramIdentity identity_;
  SpanBuilder builder_;
  OtlpExporter* exporter_;
  std::map<uint32_t, std::shared_ptr<const output::Attributes>> resources_;
};

}  // namespace gotap::serve
