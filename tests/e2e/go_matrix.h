// Live suites over the Go version matrix (tests/fixture_matrix.h): gtest value-parameterized
// tests with one instance per (Go version, variant) the build produced, so a suite covers each
// Go release instead of a hand-kept list.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "../fixture_matrix.h"
#include "trace_events.h"

namespace gotap::testing {

struct GoBuild {
  std::string version;  // "1.27"
  std::string variant;  // "default", "stripped", "pie", "cgo"
};

// gtest prints a parameter with this ("go1.27.stripped") instead of its bytes.
inline void PrintTo(const GoBuild& build, std::ostream* os) {
  *os << "go" << build.version << "." << build.variant;
}

// The (version, variant) pairs of matrix.txt whose variant is one of `variants`, oldest version
// first. A missing or empty matrix.txt is a test failure, not an empty suite.
std::vector<GoBuild> MatrixBuilds(const std::vector<std::string>& variants);

// The path of `program` built as `build`, e.g. .../fixtures/swapper-go1.27.stripped.
std::string MatrixPath(const std::string& program, const GoBuild& build);

// "go1_27_stripped": a test-name suffix (gtest allows only [A-Za-z0-9_]).
std::string BuildName(const ::testing::TestParamInfo<GoBuild>& info);

// `gotap trace --json ARGS...` run once per distinct ARGS for the whole test binary, so the tests
// of a suite share one traced run of each build instead of one each.
const TraceRun& SharedTraceRun(const std::vector<std::string>& args);

// A live suite that runs once per Go build, with gotap's per-Go-version tables switched off
// (GOTAP_NO_VERSION_TABLES=1): on every release, what gotap needs of the runtime must come from
// the binary itself. (The unit tests compare the tables with the binaries.)
class GoMatrixTest : public ::testing::TestWithParam<GoBuild> {
 protected:
  ScopedNoVersionTables no_tables_;

  std::string GoFixture(const std::string& program) const {
    return MatrixPath(program, GetParam());
  }
};

}  // namespace gotap::testing

// Runs SUITE (a GoMatrixTest) on every build of the matrix whose variant is listed.
#define GOTAP_ON_GO_MATRIX(suite, ...)                                                         \
  INSTANTIATE_TEST_SUITE_P(Go, suite,                                                          \
                           ::testing::ValuesIn(::gotap::testing::MatrixBuilds({__VA_ARGS__})), \
                           ::gotap::testing::BuildName)
