// Disassembler::Analyze over every function of real Go binaries: the Go 1.19 fixtures and
// stripped esbuild releases (Go 1.16 ABI0, Go 1.19, 1.20, 1.23; amd64 and arm64). The oracle is
// independent of the disassembly: pclntab's pcsp table, the compiler's record of the SP delta at
// every pc. Nothing before the entry site may move SP, and on amd64 the instruction at the entry
// site is exactly the one that allocates the frame.
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>
#include <string>

#include "arch/disassembler.h"
#include "arch/x86_decoder.h"
#include "gobin/binary.h"
#include "test_paths.h"

namespace gotap::arch {
namespace {

struct Target {
  std::string name;  // for test names
  std::string path;
};
void PrintTo(const Target& target, std::ostream* os) { *os << target.path; }

std::vector<Target> Targets() {
  using testing::FixturePath;
  using testing::NpmBinaryPath;
  return {
      {"model_default", FixturePath("model.default")},
      {"model_arm64", FixturePath("model.arm64")},
      {"model_noopt", FixturePath("model.noopt")},
      {"esbuild_0_8_57_go116", NpmBinaryPath("esbuild-linux-64@0.8.57")},
      {"esbuild_0_14_54_go119", NpmBinaryPath("esbuild-linux-64@0.14.54")},
      {"esbuild_0_20_2_go120", NpmBinaryPath("@esbuild+linux-x64@0.20.2")},
      {"esbuild_0_24_2_go123", NpmBinaryPath("@esbuild+linux-x64@0.24.2")},
      {"esbuild_arm64_0_24_2_go123", NpmBinaryPath("@esbuild+linux-arm64@0.24.2")},
  };
}

std::unique_ptr<gobin::Binary> Open(const std::string& path) {
  auto binary = gobin::Binary::Open(path);
  EXPECT_TRUE(binary.ok()) << path << ": " << binary.status().ToString();
  return binary.ok() ? std::move(binary).value() : nullptr;
}

Arch ArchOf(const gobin::Binary& binary) {
  return binary.machine() == elf::Machine::kAarch64 ? Arch::kArm64 : Arch::kX86_64;
}

// The first pc at which pcsp reports a non-zero SP delta, and whether `pc` lies in the initial
// zero run. nullopt if the function has no pcsp table.
struct FirstSpMove {
  uint64_t pc = 0;
  bool zero_at_pc = false;
};
std::optional<FirstSpMove> FindFirstSpMove(const gobin::Binary& binary,
                                           const gobin::FuncRecord& func, uint64_t pc) {
  auto offset = binary.pclntab().PcspOffset(func);
  if (!offset) return std::nullopt;
  FirstSpMove out;
  bool done = false;
  const bool ok = binary.pclntab().ForEachPcValue(func, *offset,
                                                  [&](uint64_t start, uint64_t end, int32_t value) {
                                                    if (done) return;
                                                    if (value != 0) {
                                                      out.pc = start;
                                                      done = true;
                                                    } else if (start <= pc && pc < end) {
                                                      out.zero_at_pc = true;
                                                    }
                                                  });
  if (!ok || !done) return std::nullopt;
  return out;
}

class ArchRealBinaryTest : public ::testing::TestWithParam<Target> {};

TEST_P(ArchRealBinaryTest, EntrySitesAgreeWithPcsp) {
  const std::string& path = GetParam().path;
  ASSERT_TRUE(testing::FileExists(path)) << path;
  auto binary = Open(path);
  ASSERT_NE(binary, nullptr);
  const Arch arch = ArchOf(*binary);
  auto disassembler = Disassembler::Create(arch);
  ASSERT_TRUE(disassembler.ok());
  const auto [major, minor] = binary->go_major_minor();
  const bool push_frames = arch == Arch::kX86_64 && (major > 1 || minor >= 21);

  std::vector<std::pair<const gobin::FuncRecord*, CodeAnalysis>> results;
  const auto start = std::chrono::steady_clock::now();
  for (const gobin::FuncRecord& func : binary->functions()) {
    const std::optional<Bytes> code = binary->Code(func);
    ASSERT_TRUE(code.has_value()) << binary->Name(func);
    if (code->empty()) continue;  // a zero-size marker function
    auto analysis = disassembler->Analyze(func.entry, *code);
    ASSERT_TRUE(analysis.ok()) << binary->Name(func) << ": " << analysis.status().ToString();
    results.emplace_back(&func, std::move(analysis).value());
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("analyze_ms", std::to_string(ms));
  std::cout << "[ INFO     ] " << results.size() << " functions analyzed in " << ms << " ms\n";

  size_t checked = 0, undecodable = 0, returns = 0;
  const std::set<std::string> frame_builders = arch == Arch::kArm64
                                                   ? std::set<std::string>{"str", "sub", "movz"}
                                               : push_frames ? std::set<std::string>{"push"}
                                                             : std::set<std::string>{"sub", "add"};
  for (const auto& [func, a] : results) {
    const std::string name(binary->Name(*func));
    undecodable += a.undecodable_bytes;
    returns += a.return_sites.size();
    for (uint64_t site : a.return_sites) {
      ASSERT_TRUE(a.IsInstructionBoundary(site)) << name << " " << a.ToString();
    }
    if (!a.has_stack_check) continue;
    ++checked;
    EXPECT_TRUE(frame_builders.count(a.entry_probe_mnemonic)) << name << " " << a.ToString();
    const auto move = FindFirstSpMove(*binary, *func, a.entry_probe);
    if (!move) continue;  // no frame at all
    EXPECT_TRUE(move->zero_at_pc) << name << " " << a.ToString();
    EXPECT_GT(move->pc, a.entry_probe) << name << " " << a.ToString();
    if (arch == Arch::kX86_64) {
      const auto next = std::upper_bound(a.instruction_offsets.begin(), a.instruction_offsets.end(),
                                         a.entry_probe - a.entry);
      ASSERT_NE(next, a.instruction_offsets.end()) << name;
      EXPECT_EQ(move->pc, a.entry + *next) << name << " " << a.ToString();
    } else if (a.entry_probe_mnemonic == "str") {
      EXPECT_EQ(move->pc, a.entry_probe + 4) << name << " " << a.ToString();
    }
  }
  EXPECT_EQ(undecodable, 0u);
  EXPECT_GT(checked, results.size() * 6 / 10) << "functions with a stack check";
  EXPECT_GT(returns, results.size()) << "return sites";
}

INSTANTIATE_TEST_SUITE_P(Binaries, ArchRealBinaryTest, ::testing::ValuesIn(Targets()),
                         [](const auto& info) { return info.param.name; });

// Functions of tests/fixtures/go/model/main.go whose shape the source fixes.
TEST(ArchRealBinaryTest, ModelFunctions) {
  for (const char* variant : {"model.default", "model.arm64"}) {
    auto binary = Open(testing::FixturePath(variant));
    ASSERT_NE(binary, nullptr);
    auto disassembler = Disassembler::Create(ArchOf(*binary));
    ASSERT_TRUE(disassembler.ok());
    auto analyze = [&](const char* name) {
      const auto funcs = binary->FindFunctions(name);
      EXPECT_FALSE(funcs.empty()) << variant << " " << name;
      if (funcs.empty()) return CodeAnalysis{};
      auto a = disassembler->Analyze(funcs[0]->entry, binary->Code(*funcs[0]).value());
      EXPECT_TRUE(a.ok());
      return a.ok() ? std::move(a).value() : CodeAnalysis{};
    };
    // square loops forever: a stack check but no return instruction.
    const CodeAnalysis square = analyze("main.square");
    EXPECT_TRUE(square.has_stack_check) << variant;
    EXPECT_TRUE(square.return_sites.empty()) << variant << " " << square.ToString();
    // fib returns from its base case and after the recursion.
    EXPECT_EQ(analyze("main.fib").return_sites.size(), 2u) << variant;
    // handle has three return statements; English.Greet two.
    EXPECT_EQ(analyze("main.handle").return_sites.size(), 3u) << variant;
    EXPECT_EQ(analyze("main.English.Greet").return_sites.size(), 2u) << variant;
  }
}

// The table decoder measures every instruction capstone measures the same, in whole binaries.
// Capstone 4 fails on some VEX instructions (vbroadcasti128) that the table decoder measures.
TEST(ArchRealBinaryTest, DecoderAgreesWithCapstone) {
  csh handle;
  ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &handle), CS_ERR_OK);
  cs_insn* insn = cs_malloc(handle);
  for (const std::string& path : {testing::FixturePath("model.default"),
                                  testing::NpmBinaryPath("@esbuild+linux-x64@0.24.2")}) {
    auto binary = Open(path);
    ASSERT_NE(binary, nullptr);
    size_t compared = 0, mismatches = 0;
    for (const gobin::FuncRecord& func : binary->functions()) {
      const Bytes code = binary->Code(func).value_or(Bytes());
      size_t offset = 0;
      while (offset < code.size()) {
        const x86::Insn mine = x86::Decode(code.subspan(offset));
        const uint8_t* data = code.data() + offset;
        size_t size = code.size() - offset;
        uint64_t address = func.entry + offset;
        const bool theirs = cs_disasm_iter(handle, &data, &size, &address, insn);
        if (mine.length != 0 && theirs) {
          ++compared;
          if (mine.length != insn->size && ++mismatches <= 5) {
            ADD_FAILURE() << path << " " << binary->Name(func) << "+" << offset << ": "
                          << insn->mnemonic << " " << insn->op_str;
          }
        }
        offset += mine.length ? mine.length : (theirs ? insn->size : 1);
      }
    }
    EXPECT_EQ(mismatches, 0u) << path;
    EXPECT_GT(compared, 100000u) << path;
  }
  cs_free(insn, 1);
  cs_close(&handle);
}

}  // namespace
}  // namespace gotap::arch
