// Status names, and runtime.waitReasonStrings read out of the binary itself: equal to Go 1.19's
// runtime2.go for the fixtures (default, stripped, PIE), and plausible for every npm binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "gobin/binary.h"
#include "goroutines/status_names.h"
#include "test_paths.h"

namespace gotap::goroutines {
namespace {

std::unique_ptr<gobin::Binary> Open(const std::string& path) {
  auto b = gobin::Binary::Open(path);
  EXPECT_TRUE(b.ok()) << path << ": " << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

TEST(GoroutinesStatus, Names) {
  EXPECT_EQ(GStatusName(kGrunnable), "runnable");
  EXPECT_EQ(GStatusName(kGrunning), "running");
  EXPECT_EQ(GStatusName(kGsyscall), "syscall");
  EXPECT_EQ(GStatusName(kGwaiting), "waiting");
  EXPECT_EQ(GStatusName(kGwaiting | kGscan), "waiting");
  EXPECT_EQ(GStatusName(9), "preempted");
  EXPECT_EQ(GStatusName(77), "status 77");
}

TEST(GoroutinesStatus, Go119TableIsTheSourceList) {
  // The comment list in the installed Go 1.19 runtime2.go: `waitReasonX // "text"`.
  std::ifstream in("/usr/lib/go-1.19/src/runtime/runtime2.go");
  ASSERT_TRUE(in) << "Go 1.19 sources are installed with golang-1.19-src";
  std::stringstream text;
  text << in.rdbuf();
  std::string src = text.str();
  std::regex entry(R"(\n\twaitReason\w+\s+(?:waitReason = iota)?\s*// "([^"]*)\")");
  std::vector<std::string> from_source;
  for (auto it = std::sregex_iterator(src.begin(), src.end(), entry); it != std::sregex_iterator();
       ++it) {
    from_source.push_back((*it)[1]);
  }
  EXPECT_EQ(WaitReasonsForVersion({1, 19}), from_source);
  EXPECT_TRUE(WaitReasonsForVersion({1, 20}).empty());
}

TEST(GoroutinesStatus, FixturesHoldTheGo119Table) {
  for (const char* name : {"gstates.default", "gstates.stripped", "gstates.pie"}) {
    auto binary = Open(testing::FixturePath(name));
    ASSERT_NE(binary, nullptr);
    auto found = FindWaitReasonStrings(*binary);
    ASSERT_TRUE(found.has_value()) << name;
    EXPECT_EQ(*found, WaitReasonsForVersion({1, 19})) << name;
    WaitReasons reasons = ResolveWaitReasons(*binary);
    EXPECT_EQ(reasons.source, WaitReasonSource::kBinary);
    EXPECT_EQ(reasons.Name(14), "chan receive");
    EXPECT_EQ(reasons.Name(200), "wait reason 200");
  }
}

TEST(GoroutinesStatus, NpmBinariesHoldTheirOwnTables) {
  for (const char* package :
       {"esbuild-linux-64@0.8.0", "esbuild-linux-64@0.8.57", "esbuild-linux-64@0.14.54",
        "@esbuild+linux-x64@0.20.2", "@esbuild+linux-x64@0.24.2", "@esbuild+linux-arm64@0.24.2"}) {
    SCOPED_TRACE(package);
    auto binary = Open(testing::NpmBinaryPath(package));
    ASSERT_NE(binary, nullptr);
    auto found = FindWaitReasonStrings(*binary);
    ASSERT_TRUE(found.has_value());
    ASSERT_GE(found->size(), 20u);
    EXPECT_EQ((*found)[0], "");
    EXPECT_EQ((*found)[1], "GC assist marking");
    EXPECT_EQ((*found)[2], "IO wait");
    for (const char* reason : {"chan receive", "chan send", "select", "sleep"}) {
      EXPECT_NE(std::find(found->begin(), found->end(), reason), found->end()) << reason;
    }
    // Go 1.20 split semacquire into named sync waits.
    bool has_mutex_reason =
        std::find(found->begin(), found->end(), "sync.Mutex.Lock") != found->end();
    EXPECT_EQ(has_mutex_reason, (binary->go_major_minor() >= std::pair{1, 20}));
  }
}

}  // namespace
}  // namespace gotap::goroutines
