// What the Go toolchains themselves say about a binary, for tests that hold gotap to it: the
// fixture matrix (build/fixtures/matrix.txt) and debug/gosym's function list, from gosymdump
// (tests/tools/gosymdump) built by each matrix toolchain. Nothing here is an expected value
// written by hand.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_paths.h"

namespace gotap::testing {

struct MatrixBinary {
  std::string version;  // "1.27"
  std::string variant;  // default | stripped | pie | cgo
  std::string program;
  std::string path;
};

// Every line of matrix.txt; empty if it cannot be read (callers fail on that).
inline std::vector<MatrixBinary> ReadFixtureMatrix() {
  std::vector<MatrixBinary> out;
  std::ifstream in(FixturePath("matrix.txt"));
  MatrixBinary b;
  while (in >> b.version >> b.variant >> b.program >> b.path) out.push_back(b);
  return out;
}

// The esbuild binaries setup.sh cached, one per package directory under .cache/npm.
inline std::vector<std::string> NpmBinaries() {
  std::vector<std::string> out;
  DIR* dir = ::opendir(GOTAP_NPM_DIR);
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != ".." && FileExists(NpmBinaryPath(name))) {
      out.push_back(NpmBinaryPath(name));
    }
  }
  ::closedir(dir);
  return out;
}

struct GosymFunction {
  uint64_t entry = 0;
  uint64_t end = 0;
  std::string name;
};

// debug/gosym's functions of `path`, in table order, as gosymdump built by Go `version` prints
// them. On failure returns false with the reason in *error.
inline bool RunGosymdump(const std::string& version, const std::string& path,
                         std::vector<GosymFunction>* out, std::string* error) {
  std::string tool = std::string(GOTAP_TOOLS_DIR) + "/gosymdump-go" + version;
  if (!FileExists(tool)) {
    *error = tool + " is missing (build target go_fixtures)";
    return false;
  }
  std::string command = "'" + tool + "' '" + path + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *error = "cannot run " + tool;
    return false;
  }
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  int status = ::pclose(pipe);
  if (status != 0) {
    *error = tool + " " + path + " failed: " + text.substr(0, 400);
    return false;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    GosymFunction f;
    size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos) {
      *error = "unexpected gosymdump line: " + line;
      return false;
    }
    f.entry = std::stoull(line.substr(0, a), nullptr, 16);
    f.end = std::stoull(line.substr(a + 1, b - a - 1), nullptr, 16);
    f.name = line.substr(b + 1);
    out->push_back(std::move(f));
  }
  return true;
}

// "a[b[c]]d[e]" -> "a[...]d[...]": how pclntab spells generic instantiations since Go 1.18,
// applied to DWARF's and gosym's spellings before comparing names.
inline std::string ElideTypeArguments(std::string_view name) {
  std::string out;
  int depth = 0;
  for (char c : name) {
    if (c == '[') {
      if (depth++ == 0) out += "[...]";
    } else if (c == ']') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

// Calls fn(i) for every i in [0, n) on a few threads: the checks over hundreds of binaries are
// independent and each waits on a gosymdump process. gtest assertions are thread-safe.
inline void ForEachIndexInParallel(size_t n, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 2, 8);
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& w : workers) w.join();
}

}  // namespace gotap::testing
