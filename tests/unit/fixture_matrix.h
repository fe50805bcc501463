// The Go version matrix of fixtures (tests/fixtures/CMakeLists.txt): every program built by every
// Go toolchain of the matrix, listed by the build in matrix.txt as
// "<version> <variant> <program> <file>" lines. Tests iterate this list instead of keeping their
// own, so a version added to the build is tested without editing them. Header-only: the unit and
// the e2e tests both read it.
#pragma once

#include <stdlib.h>

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace gotap::testing {

struct MatrixFixture {
  std::string version;  // "1.27"
  std::string variant;  // "default", "stripped", "pie", "cgo"
  std::string program;  // "gstates"
  std::string path;
  // "gstates_go1_27_stripped": usable as a gtest parameter name.
  std::string Name() const {
    std::string v = version;
    for (char& c : v) c = c == '.' ? '_' : c;
    return program + "_go" + v + "_" + variant;
  }
  std::pair<int, int> MajorMinor() const {
    size_t dot = version.find('.');
    return {std::stoi(version.substr(0, dot)), std::stoi(version.substr(dot + 1))};
  }
};

// gtest prints a parameter with this instead of its bytes.
inline void PrintTo(const MatrixFixture& f, std::ostream* os) { *os << f.Name(); }

// Every line of matrix.txt, in its order; empty when the file is missing (the build makes it,
// so a test over an empty list should fail on its own count check).
inline std::vector<MatrixFixture> ReadFixtureMatrix() {
  std::vector<MatrixFixture> out;
  std::ifstream in(std::string(GOTAP_FIXTURE_DIR) + "/matrix.txt");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    MatrixFixture f;
    if (fields >> f.version >> f.variant >> f.program >> f.path) out.push_back(std::move(f));
  }
  return out;
}

// The matrix entries of `program` whose variant is one of `variants`.
inline std::vector<MatrixFixture> MatrixFixtures(const std::string& program,
                                                 const std::vector<std::string>& variants) {
  std::vector<MatrixFixture> out;
  for (MatrixFixture& f : ReadFixtureMatrix()) {
    if (f.program != program && !program.empty()) continue;
    for (const std::string& v : variants) {
      if (f.variant == v) out.push_back(f);
    }
  }
  return out;
}

// Sets GOTAP_NO_VERSION_TABLES=1 in this process (and so in the gotap it runs) while in scope, or
// does nothing when `enabled` is false: the tests over the matrix prove that what gotap reads
// from a binary works without its per-Go-version tables.
class ScopedNoVersionTables {
 public:
  explicit ScopedNoVersionTables(bool enabled = true) : enabled_(enabled) {
    if (enabled_) setenv("GOTAP_NO_VERSION_TABLES", "1", 1);
  }
  ~ScopedNoVersionTables() {
    if (enabled_) unsetenv("GOTAP_NO_VERSION_TABLES");
  }
  ScopedNoVersionTables(const ScopedNoVersionTables&) = delete;
  ScopedNoVersionTables& operator=(const ScopedNoVersionTables&) = delete;

 private:
  bool enabled_;
};

}  // namespace gotap::testing
