// How every function of real Go binaries ends: a walk of each function's control flow from its
// entry (CodeAnalysis::exit_paths) must end every path in a RET, a tail jump, an indirect jump, or
// a call that never returns or a trap, and never run past the function's last instruction or jump
// into the middle of one. This is what lets gotap end a traced call at exactly the instructions
// where it ends (RETs and tail jumps): a path the walk could not close would be an exit gotap does
// not probe. Binaries: the Go 1.19 and 1.27 fixtures, and stripped third-party releases built by Go
// 1.16 to 1.27 (esbuild, lefthook), x86-64.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gobin/binary.h"
#include "gobin/runtime_exits.h"
#include "test_paths.h"

namespace gotap::arch {
namespace {

struct Target {
  std::string name;
  std::string path;
};
void PrintTo(const Target& target, std::ostream* os) { *os << target.path; }

std::vector<Target> Targets() {
  using testing::FixturePath;
  using testing::NpmBinaryPath;
  using testing::NpmPackageFile;
  return {
      {"model_go119", FixturePath("model.default")},
      {"model_go127", FixturePath("model-go1.27.default")},
      {"mixed_go127", FixturePath("mixed-go1.27.default")},
      {"esbuild_0_8_57_go116", NpmBinaryPath("esbuild-linux-64@0.8.57")},
      {"esbuild_0_14_54_go119", NpmBinaryPath("esbuild-linux-64@0.14.54")},
      {"esbuild_0_20_2_go120", NpmBinaryPath("@esbuild+linux-x64@0.20.2")},
      {"esbuild_0_24_2_go123", NpmBinaryPath("@esbuild+linux-x64@0.24.2")},
      {"esbuild_0_28_2_go126", NpmBinaryPath("@esbuild+linux-x64@0.28.2")},
      {"lefthook_2_2_4_go127", NpmPackageFile("lefthook-linux-x64@2.2.4", "bin/lefthook")},
  };
}

class ExitPaths : public ::testing::TestWithParam<Target> {};

TEST_P(ExitPaths, EveryPathOfEveryFunctionEndsAtAKnownExit) {
  auto opened = gobin::Binary::Open(GetParam().path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const gobin::Binary& binary = **opened;
  size_t analyzed = 0, with_tail_jumps = 0, asm_indirect = 0, returning = 0;
  std::vector<std::string> open_paths, bad_targets;
  for (const gobin::FuncRecord& f : binary.functions()) {
    if (f.name.starts_with("go:") || f.end <= f.entry) continue;  // linker markers
    auto a = binary.Analyze(f);
    if (!a.ok()) continue;  // functions outside .text (covered by the pclntab tests)
    ++analyzed;
    const CodeAnalysis::ExitPaths& p = a->exit_paths;
    if (p.off_end > 0) open_paths.push_back(std::string(f.name));
    // Assembly may jump over bytes it embeds (crypto/internal/boring/sig's markers).
    if (p.bad_targets > 0 && !(f.flags & gobin::kFuncFlagAsm)) {
      bad_targets.push_back(std::string(f.name));
    }
    with_tail_jumps += !a->tail_jump_sites.empty();
    asm_indirect += (f.flags & gobin::kFuncFlagAsm) && !a->indirect_jump_sites.empty();
    returning += !a->return_sites.empty() || !a->tail_jump_sites.empty();
    // Compiled Go never leaves by a conditional jump; only assembly may.
    if (!(f.flags & gobin::kFuncFlagAsm) && binary.go_major_minor() >= std::pair{1, 17}) {
      EXPECT_EQ(p.conditional_exits, 0u) << f.name;
    }
  }
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < 20; ++i) out += names[i] + "\n";
    return out;
  };
  EXPECT_GT(analyzed, 1000u);
  EXPECT_TRUE(open_paths.empty()) << open_paths.size() << " functions with a path past their end:\n"
                                  << list(open_paths);
  EXPECT_TRUE(bad_targets.empty())
      << bad_targets.size() << " functions jumping into an instruction:\n"
      << list(bad_targets);
  // Every binary has wrappers and asm that leave by tail jumps, and most functions return.
  EXPECT_GT(with_tail_jumps, 10u);
  EXPECT_GT(returning, analyzed * 9 / 10);
  std::cout << GetParam().name << ": " << analyzed << " functions, " << with_tail_jumps
            << " with tail jumps, " << asm_indirect << " asm with indirect jumps\n";
}

INSTANTIATE_TEST_SUITE_P(RealBinaries, ExitPaths, ::testing::ValuesIn(Targets()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace gotap::arch
