// A binary whose .go.buildinfo was removed (as some release pipelines do) still names its exact
// Go version: gotap reads runtime.buildVersion. The ground truth is `go version` on the
// original, run with the toolchain that built it.
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "../fixture_matrix.h"
#include "gobin/binary.h"
#include "gobin/build_version.h"

namespace gotap::gobin {
namespace {

using testing::MatrixFixture;

// The standard output of `command`, or "" if it failed.
std::string Run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (size_t n = ::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  return ::pclose(p) == 0 ? out : "";
}

std::string GoTool(const std::string& version) {
  if (version == "1.19") return "/usr/lib/go-1.19/bin/go";
  return std::string(GOTAP_SOURCE_DIR) + "/.cache/go/go-" + version + "/bin/go";
}

// `go version BIN` prints "BIN: go1.27.3"; returns "go1.27.3".
std::string ToolchainSays(const MatrixFixture& b) {
  std::string out = Run("GOTOOLCHAIN=local " + GoTool(b.version) + " version '" + b.path + "'");
  auto colon = out.rfind(": ");
  if (colon == std::string::npos) return "";
  std::string v = out.substr(colon + 2);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

std::vector<MatrixFixture> Cases() {
  auto out = testing::MatrixFixtures("ctxerr", {"default", "stripped", "pie"});
  for (auto& b : testing::MatrixFixtures("model", {"cgo"})) out.push_back(b);
  return out;
}

class BuildVersionTest : public ::testing::TestWithParam<MatrixFixture> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gotap-buildversion-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_P(BuildVersionTest, WithoutBuildInfoTheVersionComesFromTheRuntime) {
  const MatrixFixture& b = GetParam();
  std::string want = ToolchainSays(b);
  ASSERT_TRUE(want.starts_with("go1.")) << "go version " << b.path << ": '" << want << "'";

  std::string copy = dir_ + "/bin";
  ASSERT_EQ(std::system(("objcopy --remove-section .go.buildinfo '" + b.path + "' '" + copy +
                         "' 2>/dev/null")
                            .c_str()),
            0);
  auto binary = Binary::Open(copy);
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  ASSERT_FALSE((*binary)->build_info().has_value()) << "objcopy left the build info";
  EXPECT_EQ((*binary)->go_version(), want);
  EXPECT_STREQ((*binary)->go_version_source(), "runtime.buildVersion");
  EXPECT_EQ((*binary)->go_major_minor(), ParseGoVersion(want));

  // With build info, the same answer from build info.
  auto original = Binary::Open(b.path);
  ASSERT_TRUE(original.ok());
  EXPECT_EQ((*original)->go_version(), want);
  EXPECT_STREQ((*original)->go_version_source(), "build info");
}

INSTANTIATE_TEST_SUITE_P(Matrix, BuildVersionTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.Name(); });

TEST(LooksLikeGoReleaseVersion, ReleasesOnly) {
  for (const char* yes : {"go1.19.8", "go1.22rc1", "go1.21beta2", "go1.27.3 X:nodwarf5", "go1.3"}) {
    EXPECT_TRUE(LooksLikeGoReleaseVersion(yes)) << yes;
  }
  for (const char* no : {"go1.", "go1.x", "go2.0", "devel go1.27-abc", "go1.19.8\n", "go1.19.",
                         "go1.22rc", "1.19.8", ""}) {
    EXPECT_FALSE(LooksLikeGoReleaseVersion(no)) << no;
  }
}

}  // namespace
}  // namespace gotap::gobin
