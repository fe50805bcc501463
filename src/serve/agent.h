// gotap serve's watcher: which binary files to hold probes on, from the config's targets and the
// processes running now. A path target's file is attached for as long as the agent runs (every
// process of it, now and later); files found through /proc (a module target's binaries, a path
// target's file as another mount namespace has it) are attached while a process runs them and
// detached at the first scan that finds none: no link outlives the processes it was made for.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "probe/selector.h"
#include "serve/attachment.h"
#include "serve/config.h"

namespace gotap::serve {

class Agent {
 public:
  // Loads every path target's binary and plans its probes (an error: a target's file or probes
  // are bad), attaching nothing yet. `selectors[i]` are the parsed probes of target i.
  static StatusOr<std::unique_ptr<Agent>> Create(
      const ServeConfig& config, const std::vector<std::vector<probe::Selector>>& selectors,
      const AttachmentContext& context);
  ~Agent();  // Stop()

  // Attaches the path targets, then scans /proc once.
  void Begin();
  // Attaches to binary files newly found running and detaches those no process runs anymore.
  void Scan();
  // Detaches everything (the board keeps the final counts).
  void Stop();

  // Every path target attached and no attachment ended by itself. Thread-safe (the HTTP thread
  // asks while the main thread scans).
  bool Healthy() const;

 private:
  using FileId = std::pair<dev_t, ino_t>;
  struct Target {
    TargetConfig config;
    std::vector<probe::Selector> selectors;
    std::optional<FileId> file;  // a path target's file here
  };

  Agent(std::vector<Target> targets, const AttachmentContext& context)
      : targets_(std::move(targets)), context_(context) {}

  // The main module path of the file that `exe_link` opens ("" when it is not a Go binary).
  const std::string& ModuleOf(const FileId& file, const std::string& exe_link);

  std::vector<Target> targets_;
  AttachmentContext context_;
  std::vector<LoadedTarget> path_loaded_;  // Create's, until Begin attaches them
  mutable std::mutex mu_;                  // the attachments below (Healthy reads them)
  bool begun_ = false;
  std::vector<std::unique_ptr<Attachment>> path_attachments_;
  // Found through /proc: (target index, file) -> its attachment.
  std::map<std::pair<size_t, FileId>, std::unique_ptr<Attachment>> found_;
  std::map<FileId, std::string> modules_;       // files seen in the last scan
  std::set<std::pair<size_t, FileId>> failed_;  // not retried while the file runs
};

}  // namespace gotap::serve
