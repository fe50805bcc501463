// gotap's function list against Go's own reading of the same binary, for every binary of the
// fixture matrix (Go 1.19, 1.21-1.27; default, stripped, pie, cgo) and every cached esbuild:
// - functions (name, entry, end, in table order) equal debug/gosym's, from gosymdump built by
//   the toolchain that built the binary (the newest one for esbuild, built by toolchains we lack);
// - every name gotap reports, inlined-only ones and their callers included, reads as a Go symbol;
// - every inline tree can be read.
// The expected lists come from gosym at test time; nothing here is written by hand.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>

#include "../go_symbol_oracle.h"
#include "gobin/binary.h"
#include "gosym_reference.h"

namespace gotap::gobin {
namespace {

using testing::GosymFunction;
using testing::WhyNotGoSymbol;

// The newest toolchain's gosym reads every older table format; used for the esbuild binaries.
constexpr const char* kNewestGo = "1.27";

// Compares one binary; returns its function count and inlined-only count through the pointers.
void ExpectAgreesWithGosym(const std::string& go_version, const std::string& path,
                           size_t* functions, size_t* inlined_only) {
  SCOPED_TRACE(path);
  std::vector<GosymFunction> expected;
  std::string error;
  ASSERT_TRUE(testing::RunGosymdump(go_version, path, &expected, &error)) << error;
  auto binary = Binary::Open(path);
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  const std::vector<FuncRecord>& actual = (*binary)->functions();
  EXPECT_EQ(actual.size(), expected.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < std::min(actual.size(), expected.size()) && mismatches < 5; ++i) {
    const FuncRecord& a = actual[i];
    const GosymFunction& e = expected[i];
    if (a.name != e.name || a.entry != e.entry || a.end != e.end) {
      ++mismatches;
      ADD_FAILURE() << "function " << i << ": gotap " << a.name << " [" << std::hex << a.entry
                    << ", " << a.end << "), gosym " << e.name << " [" << e.entry << ", " << e.end
                    << ")";
    }
  }
  const InlineIndex& inlines = (*binary)->inlines();
  EXPECT_EQ(inlines.skipped_functions(), 0u) << inlines.first_skip_reason().message();
  for (const FuncRecord& f : actual) {
    std::string why = WhyNotGoSymbol(std::string((*binary)->Name(f)));
    EXPECT_EQ(why, "") << "function name " << testing::AsJsonText(std::string(f.name));
  }
  for (std::string_view name : inlines.inlined_only()) {
    std::string why = WhyNotGoSymbol(std::string(name));
    EXPECT_EQ(why, "") << "inlined-only name " << testing::AsJsonText(std::string(name));
    for (const InlineSite& site : *inlines.SitesOf(name)) {
      // The caller is the function whose code holds the copy, and the copy is not its entry.
      EXPECT_EQ((*binary)->FunctionAt(site.pc), site.caller) << name;
    }
  }
  *functions = actual.size();
  *inlined_only = inlines.inlined_only().size();
}

TEST(GosymAgreement, EveryMatrixBinary) {
  auto start = std::chrono::steady_clock::now();
  std::vector<testing::MatrixBinary> matrix = testing::ReadFixtureMatrix();
  ASSERT_GT(matrix.size(), 100u) << "matrix.txt is missing or short (build target go_fixtures)";
  // Per version and variant: binaries, functions, inlined-only functions (summed over programs).
  std::map<std::string, std::array<size_t, 3>> counts;
  std::mutex mutex;
  testing::ForEachIndexInParallel(matrix.size(), [&](size_t i) {
    const testing::MatrixBinary& b = matrix[i];
    size_t functions = 0, inlined_only = 0;
    ExpectAgreesWithGosym(b.version, b.path, &functions, &inlined_only);
    if (b.variant == "default" || b.variant == "stripped") {
      EXPECT_GT(inlined_only, 0u) << b.path << ": no function exists only inlined";
    }
    std::lock_guard<std::mutex> lock(mutex);
    auto& c = counts["go" + b.version + " " + b.variant];
    c[0] += 1, c[1] += functions, c[2] += inlined_only;
  });
  for (const auto& [key, c] : counts) {
    std::printf("%-16s %3zu binaries %7zu functions %6zu inlined-only\n", key.c_str(), c[0], c[1],
                c[2]);
  }
  std::printf("checked in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

TEST(GosymAgreement, EveryEsbuildBinary) {
  std::vector<std::string> binaries = testing::NpmBinaries();
  ASSERT_FALSE(binaries.empty()) << "no esbuild binaries in " << GOTAP_NPM_DIR
                                 << " (run scripts/setup.sh)";
  for (const std::string& path : binaries) {
    size_t functions = 0, inlined_only = 0;
    ExpectAgreesWithGosym(kNewestGo, path, &functions, &inlined_only);
    std::printf("%-70s %6zu functions %5zu inlined-only\n", path.c_str(), functions, inlined_only);
    EXPECT_GT(inlined_only, 0u) << path;
  }
}

}  // namespace
}  // namespace gotap::gobin
