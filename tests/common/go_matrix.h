// The Go version matrix of the fixtures: build/fixtures/matrix.txt, written by the build
// (tests/fixtures/CMakeLists.txt), one "<version> <variant> <program> <path>" line per binary.
// Tests parameterize over it so that a toolchain added to the build is tested without edits.
#pragma once

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace gotap::testing {

struct MatrixBinary {
  std::string version;  // "1.27": the toolchain that built it
  std::string variant;  // default | stripped | pie | cgo
  std::string program;  // directory name under tests/fixtures/go
  std::string path;

  // For test names: "go1_27_stripped" (gtest names allow [A-Za-z0-9_] only).
  std::string Name() const {
    std::string out = "go" + version + "_" + variant;
    for (char& c : out) {
      if (c == '.') c = '_';
    }
    return out;
  }
};

// For gtest's messages: "ctxerr go1.27 stripped (/path)".
inline void PrintTo(const MatrixBinary& b, std::ostream* os) {
  *os << b.program << " go" << b.version << " " << b.variant << " (" << b.path << ")";
}

// The matrix entries of `program` whose variant is one of `variants`; empty if the build has
// not written matrix.txt (tests then fail on the empty list, not skip).
inline std::vector<MatrixBinary> MatrixBinaries(const std::string& program,
                                                const std::vector<std::string>& variants) {
  std::vector<MatrixBinary> out;
  std::ifstream in(std::string(GOTAP_FIXTURE_DIR) + "/matrix.txt");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    MatrixBinary b;
    if (!(fields >> b.version >> b.variant >> b.program >> b.path)) continue;
    if (b.program != program) continue;
    for (const std::string& v : variants) {
      if (v == b.variant) out.push_back(b);
    }
  }
  return out;
}

}  // namespace gotap::testing
