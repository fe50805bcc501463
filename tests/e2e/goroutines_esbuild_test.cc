// gotap goroutines on real, stripped third-party programs built by other Go versions (esbuild
// from npm: Go 1.15, 1.16, 1.19, 1.20, 1.23): esbuild with no arguments reads its input from
// stdin, so its main goroutine sits in read(2) until stdin closes.
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "run_gotap.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using Json = nlohmann::json;

// True once the process's main thread is blocked in read(2) (syscall 0 on x86-64), as
// /proc/PID/syscall reports it; polls the kernel's view for up to 10 s.
bool WaitUntilBlockedInRead(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
    std::string number;
    if (in >> number && number == "0") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

struct EsbuildCase {
  const char* package;
  bool parent_goid;  // Go >= 1.21 records the creator's goid
};

class GoroutinesEsbuildTest : public ::testing::TestWithParam<EsbuildCase> {};

TEST_P(GoroutinesEsbuildTest, ListsMainBlockedInRead) {
  std::string path = std::string(GOTAP_NPM_DIR) + "/" + GetParam().package + "/bin/esbuild";
  auto child = ChildProcess::Start({path});
  ASSERT_TRUE(WaitUntilBlockedInRead(child->pid()));
  RunResult run =
      RunGotap({"goroutines", "--json", "--stacks", "-p", std::to_string(child->pid())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<Json> gs;
  Json summary;
  for (const std::string& line : Lines(run.out)) {
    Json j = Json::parse(line);
    if (j.contains("summary")) {
      summary = j["summary"];
    } else {
      gs.push_back(j);
    }
  }
  ASSERT_FALSE(summary.is_null());
  EXPECT_EQ(summary["allgs_found_by"], "code");
  EXPECT_EQ(summary["wait_reasons_from"], "binary");
  ASSERT_GE(gs.size(), 4u);
  // The main goroutine: in the read syscall, on the main thread, under main.main.
  const Json& main = gs[0];
  EXPECT_EQ(main["goid"], 1);
  EXPECT_EQ(main["status"], "syscall");
  EXPECT_EQ(main["tid"], child->pid());
  EXPECT_EQ(main["start_func"], "runtime.main");
  bool saw_read_all = false, saw_main = false;
  for (const Json& f : main["frames"]) {
    saw_read_all |= f["func"] == "io.ReadAll" || f["func"] == "io/ioutil.ReadAll";
    saw_main |= f["func"] == "main.main";
  }
  EXPECT_TRUE(saw_read_all) << main.dump();
  EXPECT_TRUE(saw_main) << main.dump();
  EXPECT_EQ(main["frames"].back()["func"], "runtime.goexit");
  EXPECT_FALSE(main.contains("unwind_error")) << main.dump();
  // Runtime goroutines: parked with their wait reasons, created by the runtime.
  bool saw_forcegc = false;
  for (const Json& g : gs) {
    SCOPED_TRACE(g.dump());
    EXPECT_FALSE(g.contains("unwind_error"));
    if (g["start_func"] != "runtime.forcegchelper") continue;
    saw_forcegc = true;
    EXPECT_EQ(g["state"], "force gc (idle)");
    EXPECT_TRUE(g["system"].get<bool>());
    EXPECT_EQ(g["created_by"].get<std::string>().rfind("runtime.init", 0), 0u);
    EXPECT_EQ(g.contains("parent_goid"), GetParam().parent_goid);
    if (GetParam().parent_goid) EXPECT_EQ(g["parent_goid"], 1);
  }
  EXPECT_TRUE(saw_forcegc);
  child->CloseStdin();
  child->Wait(std::chrono::seconds(10));
}

INSTANTIATE_TEST_SUITE_P(Npm, GoroutinesEsbuildTest,
                         ::testing::Values(EsbuildCase{"esbuild-linux-64@0.8.0", false},
                                           EsbuildCase{"esbuild-linux-64@0.8.57", false},
                                           EsbuildCase{"esbuild-linux-64@0.14.54", false},
                                           EsbuildCase{"@esbuild+linux-x64@0.20.2", false},
                                           EsbuildCase{"@esbuild+linux-x64@0.24.2", true}),
                         [](const auto& info) { return "case" + std::to_string(info.index); });

}  // namespace
}  // namespace gotap::testing
