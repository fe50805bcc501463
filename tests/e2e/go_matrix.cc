#include "go_matrix.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace gotap::testing {
namespace {

std::pair<int, int> MajorMinor(const std::string& version) {
  int major = 0, minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &major, &minor);
  return {major, minor};
}

}  // namespace

std::vector<GoBuild> MatrixBuilds(const std::vector<std::string>& variants) {
  std::ifstream in(std::string(GOTAP_FIXTURE_DIR) + "/matrix.txt");
  std::vector<GoBuild> builds;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    GoBuild build;
    if (!(fields >> build.version >> build.variant)) continue;
    if (std::find(variants.begin(), variants.end(), build.variant) == variants.end()) continue;
    auto same = [&](const GoBuild& b) {
      return b.version == build.version && b.variant == build.variant;
    };
    if (std::none_of(builds.begin(), builds.end(), same)) builds.push_back(build);
  }
  std::stable_sort(builds.begin(), builds.end(), [](const GoBuild& a, const GoBuild& b) {
    return MajorMinor(a.version) < MajorMinor(b.version);
  });
  if (builds.empty()) {
    // Reported by the test binary's discovery as a failing test, so a missing matrix is seen.
    builds.push_back({"missing-matrix", variants.empty() ? "" : variants[0]});
  }
  return builds;
}

std::string MatrixFixture(const std::string& program, const GoBuild& build) {
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
