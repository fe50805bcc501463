// Live tracing (root, real BPF) of a real third-party program: esbuild 0.8.57 from npm, built with
// Go 1.16 (arguments on the stack, ABI0), stripped. strings.Index is typed by a signature taken
// from Go 1.16's standard library: func Index(s, substr string) int.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "../unit/test_paths.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

class TraceEsbuildBpf : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/gotap-e2e-esbuild-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::ofstream(dir_ + "/lib.js") << "export function greet(n) { return \"hello \" + n; }\n";
    std::ofstream(dir_ + "/in.js") << "import {greet} from \"./lib.js\";\n"
                                      "console.log(greet(\"world\"));\n";
  }
  void TearDown() override {
    for (const char* f : {"/in.js", "/lib.js", "/out.js"}) unlink((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(TraceEsbuildBpf, StackAbiStringsIndexDuringBundle) {
  std::string esbuild = NpmBinaryPath("esbuild-linux-64@0.8.57");
  ASSERT_TRUE(FileExists(esbuild)) << esbuild << ": run scripts/setup.sh";
  RunResult info = RunGotap({"info", esbuild});
  ASSERT_NE(info.out.find("go1.16"), std::string::npos) << info.out;
  ASSERT_NE(info.out.find("abi:                stack"), std::string::npos) << info.out;

  TraceRun t = RunTraceJson({"strings.Index(s string, substr string) int", "--", esbuild,
                             dir_ + "/in.js", "--bundle", "--outfile=" + dir_ + "/out.js"});
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(CommandExitStatus(t.run.err), 0) << t.run.err;
  auto summary = ParseSummary(t.run.err);
  ASSERT_TRUE(summary) << t.run.err;
  EXPECT_EQ(summary->calls, t.events.size()) << t.run.err;
  EXPECT_EQ(summary->lost, 0u) << t.run.err;
  std::ifstream out_js(dir_ + "/out.js");
  std::string bundle((std::istreambuf_iterator<char>(out_js)), std::istreambuf_iterator<char>());
  EXPECT_NE(bundle.find("function greet(n)"), std::string::npos) << bundle;

  // Every complete call's result is where substr first occurs in s; the bundle's inputs show up
  // among the strings searched.
  int checked = 0, inconsistent = 0;
  bool saw_input = false, saw_lib = false;
  for (const Json& e : t.events) {
    ASSERT_EQ(e["event"], "call") << e.dump();
    ASSERT_EQ(e["func"], "strings.Index");
    Json s = Field(e, "args", "s"), substr = Field(e, "args", "substr");
    ASSERT_EQ(s["type"], "string") << e.dump();
    ASSERT_TRUE(s["value"].is_string() && substr["value"].is_string()) << e.dump();
    ASSERT_EQ(e["results"].size(), 1u) << e.dump();
    std::string sv = s["value"], subv = substr["value"];
    saw_input |= sv.find("in.js") != std::string::npos;
    saw_lib |= sv.find("lib.js") != std::string::npos;
    if (s.contains("truncated_bytes") || substr.contains("truncated_bytes")) continue;
    size_t at = sv.find(subv);
    int64_t want = at == std::string::npos ? -1 : static_cast<int64_t>(at);
    if (e["results"][0]["value"] != want && ++inconsistent < 5) ADD_FAILURE() << e.dump();
    ++checked;
  }
  EXPECT_EQ(inconsistent, 0);
  EXPECT_GE(checked, 4);
  EXPECT_TRUE(saw_input);
  EXPECT_TRUE(saw_lib);
}

}  // namespace
}  // namespace gotap::testing
