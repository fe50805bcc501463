// Runs the gotap binary under test and captures what it prints. For end-to-end tests.
#pragma once

#include <string>
#include <vector>

namespace gotap::testing {

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;      // the signal that killed it, 0 if it exited
  std::string out;
  std::string err;
};

// Runs GOTAP_BINARY with `args` (no shell), stdin from /dev/null, and waits for it.
RunResult RunGotap(const std::vector<std::string>& args);

// The whole contents of the file at `path` ("" when it cannot be read).
std::string ReadText(const std::string& path);

// Lines of `text`, without their newlines; a trailing newline does not add an empty line.
std::vector<std::string> Lines(const std::string& text);

}  // namespace gotap::testing
