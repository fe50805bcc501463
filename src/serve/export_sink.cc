#include "serve/export_sink.h"

#include "proc/process_memory.h"

namespace gotap::serve {
namespace {

constexpr size_t kMaxResources = 4096;  // processes remembered before the exited ones go

}  // namespace

ExportSink::ExportSink(const trace::TracePlan& plan, ProgramIdentity identity,
                       OtlpExporter* exporter, bool by_pid)
    : stats_(plan, by_pid), identity_(std::move(identity)), exporter_(exporter) {}

std::shared_ptr<const output::Attributes> ExportSink::ResourceOf(uint32_t pid) {
  auto it = resources_.find(pid);
  if (it != resources_.end()) return it->second;
  if (resources_.size() >= kMaxResources) {
    std::erase_if(resources_, [](const auto& entry) {
      return !proc::ProcessAlive(static_cast<pid_t>(entry.first));
    });
  }
  auto attributes = std::make_shared<output::Attributes>(output::Attributes{
      {"service.name", identity_.service_name},
      {"service.version", identity_.service_version},
      {"process.pid", static_cast<int64_t>(pid)},
      {"process.executable.path", identity_.executable_path},
      {"process.runtime.name", std::string("go")},
      {"process.runtime.version", identity_.go_version},
      {"host.name", identity_.host_name},
      {"telemetry.distro.name", std::string("gotap")},
  });
  resources_[pid] = attributes;
  return attributes;
}

void ExportSink::Write(const output::CallEvent& e) {
  stats_.Add(e);
  if (exporter_ == nullptr) return;
  if (auto span = builder_.Build(e)) exporter_->Add(ResourceOf(e.pid), std::move(*span));
}

}  // namespace gotap::serve
