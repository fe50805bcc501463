#include "serve/attachment.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "base/escape.h"
#include "serve/export_sink.h"
#include "trace/tracer.h"

namespace gotap::serve {
namespace {

// Histogram sessions emit records only for calls a panic unwound; they are counted in the kernel.
class DiscardCalls : public output::CallSink {
 public:
  void Write(const output::CallEvent&) override {}
  void Flush() override {}
};

// The labels every series of the binary carries.
output::BinaryMetrics LabelsOf(const gobin::Binary& binary, const std::string& path) {
  output::BinaryMetrics labels;
  // The absolute path, so that series from agents started in different folders agree (a path
  // inside a container is taken as it is: it may not exist here).
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::canonical(path, error);
  labels.binary = error ? path : absolute.string();
  labels.go_version = binary.go_version();
  const auto& info = binary.build_info();
  if (info && !info->main_module.path.empty()) {
    labels.service = info->main_module.path;
  } else if (info && !info->main_path.empty()) {
    labels.service = info->main_path;
  } else {
    labels.service = path.substr(path.rfind('/') + 1);
  }
  return labels;
}

ProgramIdentity IdentityOf(const gobin::Binary& binary, const output::BinaryMetrics& labels) {
  ProgramIdentity id;
  id.service_name = labels.service;
  const auto& info = binary.build_info();
  if (info) id.service_version = info->main_module.version;
  id.executable_path = labels.binary;
  id.go_version = labels.go_version;
  char host[256] = "";
  if (gethostname(host, sizeof(host) - 1) == 0) id.host_name = host;
  return id;
}

}  // namespace

StatusOr<LoadedTarget> LoadTarget(const std::string& open_path,
                                  const std::vector<probe::Selector>& selectors,
                                  const CountingOptions& counting,
                                  const std::function<void(const std::string&)>& log) {
  LoadedTarget loaded;
  ASSIGN_OR_RETURN(loaded.binary, gobin::Binary::Open(open_path));
  trace::PlanOptions plan_options;
  plan_options.histogram = !counting.records;
  plan_options.string_length = static_cast<uint16_t>(counting.string_length);
  ASSIGN_OR_RETURN(loaded.plan, trace::PlanTrace(*loaded.binary, selectors, plan_options));
  for (const std::string& w : loaded.plan.warnings) log("note: " + EscapeForTerminal(w));
  return loaded;
}

std::unique_ptr<Attachment> Attachment::Start(std::string open_path, std::string label_path,
                                              LoadedTarget target,
                                              const AttachmentContext& context) {
  std::unique_ptr<Attachment> a(
      new Attachment(std::move(open_path), std::move(label_path), std::move(target), context));
  a->thread_ = std::thread([raw = a.get()] { raw->Run(); });
  return a;
}

Attachment::Attachment(std::string open_path, std::string label_path, LoadedTarget target,
                       const AttachmentContext& context)
    : open_path_(std::move(open_path)),
      label_path_(std::move(label_path)),
      target_(std::move(target)),
      context_(context) {}

Attachment::~Attachment() { Stop(); }

void Attachment::Stop() {
  stop_ = 1;
  if (thread_.joinable()) thread_.join();
}

void Attachment::Run() {
  const trace::TracePlan& plan = target_.plan;
  const output::BinaryMetrics labels = LabelsOf(*target_.binary, label_path_);
  std::unique_ptr<ExportSink> records;
  if (context_.counting.records) {
    records = std::make_unique<ExportSink>(plan, IdentityOf(*target_.binary, labels),
                                           context_.exporter, context_.counting.by_pid);
  }
  MetricsBoard& board = *context_.board;
  uint64_t source = 0;
  // Metrics come from the kernel's histograms, or from the calls themselves.
  auto publish = [&](const bpf::Session& session) {
    StatusOr<output::BinaryMetrics> now = Status::Ok();
    if (records) {
      auto counters = session.ReadCounters();
      if (counters.ok()) {
        now = records->stats().Read(labels, *counters);
      } else {
        now = counters.status();
      }
    } else {
      now = ReadBinaryMetrics(plan, session, labels);
    }
    if (!now.ok()) {
      context_.log(EscapeForTerminal(now.status().message()));
      return;
    }
    board.Publish(source, std::move(now).value());
  };
  trace::RunLimits limits;
  limits.stop_flag = &stop_;
  limits.on_warning = [&](const std::string& line) {
    context_.log("note: " + EscapeForTerminal(line));
  };
  limits.on_attached = [&](const bpf::Session& session) {
    source = board.AddSource();
    publish(session);
    attached_ = true;
    size_t served = 0;
    for (const trace::TracedFunction& fn : plan.functions)
      served += ServingOf(fn) == Serving::kServed;
    context_.log(fmt::format(
        "{} {} function{} ({} probe sites) of {}{}", context_.attached_verb, served,
        served == 1 ? "" : "s", session.attached_sites(), EscapeForTerminal(label_path_),
        open_path_ == label_path_ ? " (every process)" : " via " + EscapeForTerminal(open_path_)));
  };
  limits.on_poll = [&](bpf::Session& session) {
    if (board.Wanted(source)) publish(session);
  };
  limits.on_finish = [&](bpf::Session& session) { publish(session); };
  bpf::Target target;
  target.binary_path = open_path_;
  DiscardCalls discard;
  output::CallSink& sink = records ? static_cast<output::CallSink&>(*records) : discard;
  auto summary = trace::RunTrace(plan, target, limits, sink);
  attached_ = false;
  if (source != 0) board.Retire(source);
  if (!summary.ok()) {
    if (source == 0) context_.board->CountAttachFailure();  // it never attached
    context_.log(fmt::format("{}: {}", EscapeForTerminal(label_path_),
                             EscapeForTerminal(summary.status().message())));
  }
  ended_ = true;
}

}  // namespace gotap::serve
