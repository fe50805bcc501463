// `gotap funcs` on the newest toolchains' binaries (Go 1.26 and 1.27, every variant built): it
// lists functions that exist only inlined, finds one by name, and suggests only real names for a
// misspelt one. Which name is used comes from gotap's own --json listing, checked for shape here
// and against DWARF and debug/gosym by the unit tests (gobin_inline_dwarf_test.cc).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../go_symbol_oracle.h"
#include "../unit/gosym_reference.h"
#include "run_gotap.h"

namespace gotap::testing {
namespace {

std::vector<MatrixBinary> NewestToolchainBinaries() {
  std::vector<MatrixBinary> out;
  for (const MatrixBinary& b : ReadFixtureMatrix()) {
    if (b.program == "model" && (b.version == "1.26" || b.version == "1.27")) out.push_back(b);
  }
  return out;
}

TEST(FuncsInlined, NewestToolchainsListInlinedOnlyFunctionsByName) {
  std::vector<MatrixBinary> binaries = NewestToolchainBinaries();
  ASSERT_GE(binaries.size(), 6u) << "matrix.txt lacks Go 1.26/1.27 model builds";
  for (const MatrixBinary& b : binaries) {
    SCOPED_TRACE(b.path);
    RunResult all = RunGotap({"funcs", "--json", b.path});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(all.err, "");  // no note about unreadable inline trees
    std::vector<std::string> inlined_only;
    for (const std::string& line : Lines(all.out)) {
      auto j = nlohmann::json::parse(line);
      std::string name = j["name"];
      EXPECT_EQ(WhyNotGoSymbol(name), "") << AsJsonText(name);
      if (!j["inlined_only"].get<bool>()) continue;
      // Glob characters would make the name a pattern; generic names hold '['.
      if (name.find_first_of("*?[") == std::string::npos) inlined_only.push_back(name);
      ASSERT_FALSE(j["inlined_into"].empty()) << name;
      for (const auto& site : j["inlined_into"]) {
        EXPECT_EQ(WhyNotGoSymbol(site["caller"]), "") << name;
      }
    }
    ASSERT_GT(inlined_only.size(), 100u);
    // A glob-free name selects exactly that function; the text output says where it lives.
    const std::string& name = inlined_only[inlined_only.size() / 2];
    RunResult one = RunGotap({"funcs", b.path, name});
    EXPECT_EQ(one.exit_code, 0) << one.err;
    EXPECT_NE(one.out.find(name + "  [inlined only: "), std::string::npos) << one.out;
    // A misspelt name gets hints, each a real name.
    RunResult miss = RunGotap({"funcs", b.path, name + "Zq"});
    EXPECT_EQ(miss.exit_code, 2);
    size_t at = miss.err.find("; nearest: ");
    ASSERT_NE(at, std::string::npos) << miss.err;
    std::string hints = miss.err.substr(at + 11);
    if (!hints.empty() && hints.back() == '\n') hints.pop_back();
    EXPECT_NE(hints.find(name), std::string::npos) << hints;
    for (size_t start = 0; start <= hints.size();) {
      size_t end = hints.find(", ", start);
      if (end == std::string::npos) end = hints.size();
      std::string hint = hints.substr(start, end - start);
      EXPECT_EQ(WhyNotGoSymbol(hint), "") << AsJsonText(hint);
      start = end + 2;
    }
  }
}

}  // namespace
}  // namespace gotap::testing
