// Every error gotap prints is a line that starts with "gotap: " exactly once, whichever
// subcommand or layer it comes from (a message built in a library must not carry its own
// "gotap ..." prefix); bad input exits with code 2, what gotap does not support with 1.
#include <gtest/gtest.h>

#include "../unit/test_paths.h"
#include "run_gotap.h"

namespace gotap::testing {
namespace {

// The number of times `needle` occurs in `text`.
size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(ErrorStyle, EveryStderrLineStartsWithGotapOnce) {
  std::string fixture = FixturePath("ctxerr.stripped");
  // A pid that cannot exist (above the kernel's pid_max limit of 2^22).
  const std::string no_pid = "99999999";
  struct Failing {
    std::vector<std::string> args;
    int exit_code = 2;
  };
  const std::vector<Failing> failing = {
      {{"info", "/nonexistent/gotap-style"}},
      {{"info", "/bin/true"}},
      {{"funcs", fixture, "main.noSuchFunction"}},
      {{"trace", fixture, "main.noSuchFunction"}},
      {{"record", fixture, "main.handle"}},  // no -o FILE
      {{"ns", "-p", no_pid}},
      {{"ns", FixturePath("model.arm64")}, 1},  // x86-64 only: once printed "gotap: gotap ns ..."
      {{"ns", "--once"}},                       // no -p
      {{"ns", "--once", "-p", no_pid}},
      {{"goroutines", "-p", no_pid}},
      {{"goroutines"}},  // no -p
      {{"info", "--no-such-flag", fixture}},
      {{"no-such-command"}},
      {{}},
  };
  for (const auto& [args, exit_code] : failing) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    RunResult r = RunGotap(args);
    EXPECT_EQ(r.signal, 0) << shown;
    EXPECT_EQ(r.exit_code, exit_code) << shown << "\n" << r.err;
    auto lines = Lines(r.err);
    ASSERT_FALSE(lines.empty()) << shown << ": nothing on stderr";
    for (const std::string& line : lines) {
      EXPECT_TRUE(line.starts_with("gotap: ")) << shown << ": " << line;
      EXPECT_EQ(Count(line, "gotap: "), 1u) << shown << ": " << line;
      EXPECT_FALSE(line.starts_with("gotap: gotap")) << shown << ": " << line;
    }
  }
}

}  // namespace
}  // namespace gotap::testing
