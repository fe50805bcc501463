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
#include "real_binaries.h"

namespace gotap::arch {
namespace {

class ExitPaths : public ::testing::TestWithParam<testing::RealBinary> {};

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

INSTANTIATE_TEST_SUITE_P(RealBinaries, ExitPaths, ::testing::ValuesIn(testing::RealX86Binaries()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace gotap::arch
