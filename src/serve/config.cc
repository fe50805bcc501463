#include "serve/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "base/duration.h"
#include "base/escape.h"

namespace gotap::serve {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;  // a config is a page or two; more is not a config

// Errors name the file and the 1-based line of the node they are about.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Status Error(const YAML::Node& at, std::string_view what) const {
    return InvalidArgument("{}:{}: {}", source_, at.Mark().line + 1, what);
  }

  // Every key of `map` must be one of `known` (a misspelt key is not silently a default).
  Status OnlyKeys(const YAML::Node& map, std::string_view where,
                  const std::set<std::string>& known) const {
    if (!map.IsMap()) return Error(map, fmt::format("{} must be a mapping", where));
    for (const auto& entry : map) {
      const std::string key = entry.first.Scalar();
      if (known.count(key) == 0) {
        std::string names;
        for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
        return Error(entry.first, fmt::format("unknown key '{}' in {} (known: {})",
                                              EscapeForTerminal(key), where, names));
      }
    }
    return Status::Ok();
  }

  StatusOr<std::string> String(const YAML::Node& node, std::string_view key) const {
    if (!node.IsScalar()) return Error(node, fmt::format("{} must be a string", key));
    return node.Scalar();
  }

  StatusOr<bool> Bool(const YAML::Node& node, std::string_view key) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Error(node, fmt::format("{} must be true or false", key));
    }
    return value;
  }

  StatusOr<int> Int(const YAML::Node& node, std::string_view key, int low, int high) const {
    int value = 0;
    if (!node.IsScalar() || !YAML::convert<int>::decode(node, value) || value < low ||
        value > high) {
      return Error(node, fmt::format("{} must be a whole number from {} to {}", key, low, high));
    }
    return value;
  }

  StatusOr<std::vector<std::string>> Strings(const YAML::Node& node, std::string_view key) const {
    std::vector<std::string> out;
    if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
    if (!node.IsSequence()) return Error(node, fmt::format("{} must be a list of strings", key));
    for (const auto& item : node) {
      ASSIGN_OR_RETURN(std::string s, String(item, key));
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  std::string source_;
};

StatusOr<TargetConfig> ParseTarget(const Reader& r, const YAML::Node& node) {
  RETURN_IF_ERROR(r.OnlyKeys(node, "a target", {"path", "module", "probes"}));
  TargetConfig target;
  if (node["path"]) {
    ASSIGN_OR_RETURN(target.path, r.String(node["path"], "path"));
  }
  if (node["module"]) {
    ASSIGN_OR_RETURN(target.module, r.String(node["module"], "module"));
  }
  if (target.path.empty() == target.module.empty()) {
    return r.Error(node, "a target names either a path or a module (not both)");
  }
  if (node["probes"]) {
    ASSIGN_OR_RETURN(target.probes, r.Strings(node["probes"], "probes"));
  }
  return target;
}

StatusOr<ServeConfig> ParseRoot(const Reader& r, const YAML::Node& root) {
  RETURN_IF_ERROR(r.OnlyKeys(root, "the config", {"metrics", "otlp", "scan_interval", "targets"}));
  ServeConfig config;
  if (const YAML::Node metrics = root["metrics"]) {
    RETURN_IF_ERROR(r.OnlyKeys(metrics, "metrics", {"listen", "pid_label"}));
    if (metrics["listen"]) {
      ASSIGN_OR_RETURN(config.metrics, r.String(metrics["listen"], "listen"));
    }
    if (metrics["pid_label"]) {
      ASSIGN_OR_RETURN(config.pid_label, r.Bool(metrics["pid_label"], "pid_label"));
    }
  }
  if (const YAML::Node otlp = root["otlp"]) {
    RETURN_IF_ERROR(r.OnlyKeys(otlp, "otlp", {"endpoint", "string_length"}));
    if (otlp["endpoint"]) {
      ASSIGN_OR_RETURN(config.otlp, r.String(otlp["endpoint"], "endpoint"));
    }
    if (otlp["string_length"]) {
      ASSIGN_OR_RETURN(config.string_length, r.Int(otlp["string_length"], "string_length", 0, 512));
    }
  }
  if (const YAML::Node scan = root["scan_interval"]) {
    ASSIGN_OR_RETURN(std::string text, r.String(scan, "scan_interval"));
    auto seconds = ParseSeconds(text);
    if (!seconds.ok() || *seconds < 0.05 || *seconds > 3600) {
      return r.Error(scan, "scan_interval must be a duration from 50ms to 1h (e.g. 2s)");
    }
    config.scan_seconds = *seconds;
  }
  const YAML::Node targets = root["targets"];
  if (!targets || !targets.IsSequence() || targets.size() == 0) {
    return r.Error(targets ? targets : root, "targets must be a non-empty list");
  }
  for (const auto& node : targets) {
    ASSIGN_OR_RETURN(TargetConfig target, ParseTarget(r, node));
    config.targets.push_back(std::move(target));
  }
  return config;
}

}  // namespace

StatusOr<ServeConfig> ParseServeConfig(std::string_view text, std::string_view source) {
  Reader reader(source);
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsDefined() || root.IsNull()) return InvalidArgument("{}: empty config", source);
    return ParseRoot(reader, root);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{}:{}: {}", source, e.mark.line + 1, EscapeForTerminal(e.msg));
  }
}

StatusOr<ServeConfig> LoadServeConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kIo,
                     "cannot read config {}: {}", EscapeForTerminal(path), std::strerror(errno));
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return IoError("cannot read config {}", EscapeForTerminal(path));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    return InvalidArgument("config {} is over {} bytes", EscapeForTerminal(path), kMaxConfigBytes);
  }
  return ParseServeConfig(text, path);
}

std::string DescribeServeConfig(const ServeConfig& config) {
  std::ostringstream out;
  out << fmt::format("metrics at http://{}/metrics{}\n", config.metrics,
                     config.pid_label ? " (with pid labels)" : "");
  if (!config.otlp.empty()) out << fmt::format("spans to {}\n", EscapeForTerminal(config.otlp));
  for (const TargetConfig& t : config.targets) {
    std::string probes;
    for (const std::string& p : t.probes) probes += (probes.empty() ? "" : " ") + p;
    out << fmt::format("target {} {}: {}\n", t.path.empty() ? "module" : "path",
                       EscapeForTerminal(t.path.empty() ? t.module : t.path),
                       EscapeForTerminal(probes.empty() ? "main.*" : probes));
  }
  return out.str();
}

}  // namespace gotap::serve
