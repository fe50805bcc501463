// What gotap serve watches and where it exports: from a YAML file (`gotap serve --config FILE`)
// or from flags alone. The file's format is documented in README ("gotap serve: the config file")
// and in deploy/gotap.yaml; every key is checked, so a misspelt one is an error, not a default.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace gotap::serve {

// One kind of program to serve. Exactly one of path and module is set.
struct TargetConfig {
  // A binary file: every process running it, now and later (the uprobes follow the file), and
  // processes in other mount namespaces (containers) whose executable has this path there.
  std::string path;
  // A Go main module path from the build info ("example.com/shop"): every process whose
  // executable's main module is this, found by scanning /proc (also inside containers).
  std::string module;
  std::vector<std::string> probes;  // selectors or signatures; empty: main.*
};

struct ServeConfig {
  std::string metrics = "127.0.0.1:9464";  // HOST:PORT of /metrics and /healthz
  bool pid_label = false;                  // a pid label on the per-function series
  std::string otlp;                        // OTLP/HTTP collector URL; empty: no spans
  int string_length = 64;                  // string bytes copied for span attributes
  double scan_seconds = 1.0;               // how often /proc is scanned for new processes
  std::vector<TargetConfig> targets;
};

// The config in `text` (YAML); `source` names it in errors ("gotap.yaml:7: unknown key 'prob'").
StatusOr<ServeConfig> ParseServeConfig(std::string_view text, std::string_view source);

// Reads and parses the config file at `path` (kNotFound/kIo when it cannot be read).
StatusOr<ServeConfig> LoadServeConfig(const std::string& path);

// A short account of the config, a line per target, for `gotap serve --check` and the log.
std::string DescribeServeConfig(const ServeConfig& config);

}  // namespace gotap::serve
