#include "go_matrix.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace gotap::testing {

std::vector<GoBuild> MatrixBuilds(const std::vector<std::string>& variants) {
  std::vector<GoBuild> builds;
  std::vector<MatrixFixture> matrix = ReadFixtureMatrix();
  std::stable_sort(matrix.begin(), matrix.end(),
                   [](const MatrixFixture& a, const MatrixFixture& b) {
                     return a.MajorMinor() < b.MajorMinor();
                   });
  for (const MatrixFixture& f : matrix) {
    if (std::find(variants.begin(), variants.end(), f.variant) == variants.end()) continue;
    auto same = [&](const GoBuild& b) { return b.version == f.version && b.variant == f.variant; };
    if (std::none_of(builds.begin(), builds.end(), same)) builds.push_back({f.version, f.variant});
  }
  if (builds.empty()) {
    // Reported by the test binary's discovery as a failing test, so a missing matrix is seen.
    builds.push_back({"missing-matrix", variants.empty() ? "" : variants[0]});
  }
  return builds;
}

std::string MatrixPath(const std::string& program, const GoBuild& build) {
  return std::string(GOTAP_FIXTURE_DIR) + "/" + program + "-go" + build.version + "." +
         build.variant;
}

const TraceRun& SharedTraceRun(const std::vector<std::string>& args) {
  static auto* runs = new std::map<std::vector<std::string>, TraceRun>;
  auto it = runs->find(args);
  if (it == runs->end()) it = runs->emplace(args, RunTraceJson(args)).first;
  return it->second;
}

std::string BuildName(const ::testing::TestParamInfo<GoBuild>& info) {
  std::string name = "go" + info.param.version + "_" + info.param.variant;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace gotap::testing
