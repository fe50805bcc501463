// Go build information from `.go.buildinfo` (Go >= 1.13): toolchain version, main module,
// dependencies and build settings. Both the pointer format (Go <= 1.17) and the inline,
// pointer-free format (Go >= 1.18) are read. See go-internals.md §4.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "elf/elf_file.h"

namespace gotap::gobin {

struct Module {
  std::string path;
  std::string version;
  std::string sum;
  std::string replaced_by;  // "path version" of a `=>` line, empty if not replaced
};

struct BuildInfo {
  std::string go_version;  // as the toolchain prints it, e.g. "go1.19.8"
  std::string main_path;   // the `path` line: the main package's import path
  Module main_module;      // the `mod` line (empty path when built outside a module)
  std::vector<Module> dependencies;
  std::vector<std::pair<std::string, std::string>> settings;  // `build` lines, key=value

  // "1.19" style major.minor parsed from go_version; {0,0} when the version is not a release
  // (e.g. "devel +abc").
  std::pair<int, int> MajorMinor() const;
};

// kNotFound when the binary has no build info blob (not Go, or Go < 1.13).
StatusOr<BuildInfo> ReadBuildInfo(const elf::ElfFile& elf);

// Parses the text of runtime.modinfo (with or without its 16-byte sentinels) into `info`.
void ParseModinfo(std::string_view modinfo, BuildInfo* info);

// Parses "go1.21.3" / "go1.22rc1" into {1, 21}; {0, 0} if it does not look like a release.
std::pair<int, int> ParseGoVersion(std::string_view version);

}  // namespace gotap::gobin
