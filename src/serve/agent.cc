#include "serve/agent.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "base/escape.h"
#include "base/mapped_file.h"
#include "elf/elf_file.h"
#include "gobin/buildinfo.h"
#include "proc/exe_scan.h"

namespace gotap::serve {

StatusOr<std::unique_ptr<Agent>> Agent::Create(
    const ServeConfig& config, const std::vector<std::vector<probe::Selector>>& selectors,
    const AttachmentContext& context) {
  std::vector<Target> targets;
  for (size_t i = 0; i < config.targets.size() && i < selectors.size(); ++i) {
    Target t{config.targets[i], selectors[i], std::nullopt};
    if (!t.config.path.empty()) {
      struct stat st {};
      if (stat(t.config.path.c_str(), &st) == 0) t.file = FileId{st.st_dev, st.st_ino};
    }
    targets.push_back(std::move(t));
  }
  std::unique_ptr<Agent> agent(new Agent(std::move(targets), context));
  for (const Target& t : agent->targets_) {
    if (t.config.path.empty()) continue;
    ASSIGN_OR_RETURN(LoadedTarget loaded,
                     LoadTarget(t.config.path, t.selectors, context.counting, context.log));
    agent->path_loaded_.push_back(std::move(loaded));
  }
  return agent;
}

void Agent::Begin() {
  {
    std::lock_guard lock(mu_);
    size_t next = 0;
    for (const Target& t : targets_) {
      if (t.config.path.empty()) continue;
      path_attachments_.push_back(Attachment::Start(t.config.path, t.config.path,
                                                    std::move(path_loaded_[next++]), context_));
    }
    path_loaded_.clear();
    begun_ = true;
  }
  Scan();
}

Agent::~Agent() { Stop(); }

void Agent::Stop() {
  std::vector<std::unique_ptr<Attachment>> stopping;
  {
    std::lock_guard lock(mu_);
    stopping = std::move(path_attachments_);
    for (auto& [key, a] : found_) stopping.push_back(std::move(a));
    path_attachments_.clear();
    found_.clear();
    begun_ = false;
  }
  // Flag every session first, then wait: they detach side by side.
  for (auto& a : stopping) a->RequestStop();
  stopping.clear();
}

bool Agent::Healthy() const {
  std::lock_guard lock(mu_);
  if (!begun_) return false;
  for (const auto& a : path_attachments_) {
    if (!a->attached() || !a->running()) return false;
  }
  for (const auto& [key, a] : found_) {
    if (!a->running()) return false;
  }
  return true;
}

const std::string& Agent::ModuleOf(const FileId& file, const std::string& exe_link) {
  auto it = modules_.find(file);
  if (it != modules_.end()) return it->second;
  std::string module;
  if (auto mapped = MappedFile::Open(exe_link); mapped.ok()) {
    if (auto elf = elf::ElfFile::Parse(mapped->bytes()); elf.ok()) {
      if (auto info = gobin::ReadBuildInfo(*elf); info.ok()) module = info->main_module.path;
    }
  }
  return modules_.emplace(file, std::move(module)).first->second;
}

void Agent::Scan() {
  const std::vector<proc::RunningExecutable> running = proc::ScanExecutables();
  // (target, file) -> a process running it, for the files this scan finds.
  std::map<std::pair<size_t, FileId>, const proc::RunningExecutable*> wanted;
  std::set<FileId> seen;
  for (const proc::RunningExecutable& exe : running) {
    const FileId file{exe.dev, exe.ino};
    seen.insert(file);
    for (size_t i = 0; i < targets_.size(); ++i) {
      const Target& t = targets_[i];
      bool match = false;
      if (!t.config.path.empty()) {
        // The path's own file is attached already; the same path elsewhere is another file.
        match = exe.path == t.config.path && t.file != file;
      } else {
        match = ModuleOf(file, proc::ExecutableLink(exe.pid)) == t.config.module;
      }
      if (match) wanted.try_emplace({i, file}, &exe);
    }
  }
  std::erase_if(modules_, [&](const auto& entry) { return seen.count(entry.first) == 0; });
  std::erase_if(failed_, [&](const auto& key) { return wanted.count(key) == 0; });
  // Detach from files no process runs anymore (outside the lock: a detach takes a moment).
  std::vector<std::unique_ptr<Attachment>> gone;
  {
    std::lock_guard lock(mu_);
    for (auto it = found_.begin(); it != found_.end();) {
      if (wanted.count(it->first) != 0) {
        ++it;
        continue;
      }
      gone.push_back(std::move(it->second));
      it = found_.erase(it);
    }
  }
  for (auto& a : gone) {
    a->Stop();
    context_.log(
        fmt::format("no process runs {} anymore: detached", EscapeForTerminal(a->label_path())));
  }
  for (const auto& [key, exe] : wanted) {
    if (found_.count(key) != 0 || failed_.count(key) != 0) continue;
    const std::string link = proc::ExecutableLink(exe->pid);
    auto loaded = LoadTarget(link, targets_[key.first].selectors, context_.counting, context_.log);
    if (!loaded.ok()) {
      context_.log(fmt::format("cannot serve {} (pid {}): {}", EscapeForTerminal(exe->path),
                               exe->pid, EscapeForTerminal(loaded.status().message())));
      failed_.insert(key);
      context_.board->CountAttachFailure();
      continue;
    }
    auto attachment = Attachment::Start(link, exe->path, std::move(loaded).value(), context_);
    std::lock_guard lock(mu_);
    found_[key] = std::move(attachment);
  }
}

}  // namespace gotap::serve
