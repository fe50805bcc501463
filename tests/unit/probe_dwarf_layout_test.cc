// Layouts of real functions of the model fixture (Go 1.19), from their DWARF types, checked
// against what the compiled code itself says: the morestack path of each function spills every
// argument register to its spill slot (go-internals.md §2.2), and pclntab's _func.args is the size
// of the whole argument area. Also SignatureFromDwarf and CheckSignatureAgainstDwarf.
#include <capstone/capstone.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dwarf/dwarf_info.h"
#include "gobin/binary.h"
#include "probe/abi_layout.h"
#include "probe/dwarf_signature.h"
#include "probe/selector.h"
#include "test_paths.h"

namespace gotap::probe {
namespace {

using arch::Arch;
using testing::FixturePath;

// Each fixture is opened once per test binary; null (and a failure) if it cannot be.
struct Fixture {
  std::unique_ptr<dwarf::DwarfInfo> dwarf;
  std::unique_ptr<gobin::Binary> binary;
};
const Fixture& Model(const std::string& variant) {
  static auto* cache = new std::map<std::string, Fixture>();
  auto [it, inserted] = cache->try_emplace(variant);
  if (inserted) {
    std::string path = FixturePath("model." + variant);
    auto info = dwarf::DwarfInfo::Open(path);
    if (info.ok()) {
      it->second.dwarf = std::make_unique<dwarf::DwarfInfo>(std::move(info).value());
    } else {
      ADD_FAILURE() << info.status().ToString();
    }
    auto binary = gobin::Binary::Open(path);
    if (binary.ok()) {
      it->second.binary = std::move(binary).value();
    } else {
      ADD_FAILURE() << binary.status().ToString();
    }
  }
  return it->second;
}

// The full-width name of an x86-64 integer register or its low part ("r11b" -> "r11").
std::string X86Register(std::string name) {
  static const std::map<std::string, std::string> kParts = {
      {"al", "rax"},  {"ax", "rax"},  {"eax", "rax"}, {"bl", "rbx"},  {"bx", "rbx"},
      {"ebx", "rbx"}, {"cl", "rcx"},  {"cx", "rcx"},  {"ecx", "rcx"}, {"dil", "rdi"},
      {"di", "rdi"},  {"edi", "rdi"}, {"sil", "rsi"}, {"si", "rsi"},  {"esi", "rsi"}};
  if (auto it = kParts.find(name); it != kParts.end()) return it->second;
  if (name[0] == 'r' && (name.back() == 'b' || name.back() == 'w' || name.back() == 'd')) {
    name.pop_back();  // r8b, r9w, r10d
  }
  return name;
}

// One spill store as "<register>@<offset from SP>:<bytes>", registers named as LocationName names
// them ("rax", "xmm3", "x0", "v3").
std::string DecodeStore(Arch arch, csh handle, const cs_insn& insn) {
  if (arch == Arch::kX86_64) {
    const cs_x86& x86 = insn.detail->x86;
    bool is_store =
        (insn.id == X86_INS_MOV || insn.id == X86_INS_MOVSD || insn.id == X86_INS_MOVSS) &&
        x86.op_count == 2 && x86.operands[0].type == X86_OP_MEM &&
        x86.operands[0].mem.base == X86_REG_RSP && x86.operands[1].type == X86_OP_REG;
    if (!is_store) return "";
    return fmt::format("{}@{}:{}", X86Register(cs_reg_name(handle, x86.operands[1].reg)),
                       x86.operands[0].mem.disp, x86.operands[0].size);
  }
  const cs_arm64& arm = insn.detail->arm64;
  bool is_store =
      (insn.id == ARM64_INS_STR || insn.id == ARM64_INS_STRB || insn.id == ARM64_INS_STRH) &&
      arm.op_count == 2 && arm.operands[0].type == ARM64_OP_REG &&
      arm.operands[1].type == ARM64_OP_MEM && arm.operands[1].mem.base == ARM64_REG_SP;
  if (!is_store) return "";
  std::string reg = cs_reg_name(handle, arm.operands[0].reg);  // x0, w8, d1, s3
  std::map<char, int> sizes = {{'x', 8}, {'w', 4}, {'d', 8}, {'s', 4}, {'h', 2}, {'b', 1}};
  int size = insn.id == ARM64_INS_STRB ? 1 : insn.id == ARM64_INS_STRH ? 2 : sizes[reg[0]];
  std::string name = (reg[0] == 'x' || reg[0] == 'w' ? "x" : "v") + reg.substr(1);
  return fmt::format("{}@{}:{}", name, arm.operands[1].mem.disp, size);
}

// The stores right before the morestack call of `func` (the last call before the jump back to the
// entry), in program order. Fails the test if the block is not found.
std::vector<std::string> MorestackSpills(const gobin::Binary& binary, const gobin::FuncRecord& func,
                                         Arch arch) {
  std::vector<std::string> spills;
  auto code = binary.Code(func);
  if (!code) {
    ADD_FAILURE() << "no code";
    return spills;
  }
  csh handle = 0;
  bool x86 = arch == Arch::kX86_64;
  if (cs_open(x86 ? CS_ARCH_X86 : CS_ARCH_ARM64, x86 ? CS_MODE_64 : CS_MODE_ARM, &handle) !=
      CS_ERR_OK) {
    ADD_FAILURE() << "capstone";
    return spills;
  }
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insns = nullptr;
  size_t count = cs_disasm(handle, code->data(), code->size(), func.entry, 0, &insns);
  auto target = [&](const cs_insn& insn) -> uint64_t {
    if (x86) {
      const cs_x86& d = insn.detail->x86;
      return d.op_count == 1 && d.operands[0].type == X86_OP_IMM ? d.operands[0].imm : 0;
    }
    const cs_arm64& d = insn.detail->arm64;
    return d.op_count == 1 && d.operands[0].type == ARM64_OP_IMM ? d.operands[0].imm : 0;
  };
  size_t jump_back = count;
  for (size_t i = 0; i < count; ++i) {
    bool jump = x86 ? insns[i].id == X86_INS_JMP : insns[i].id == ARM64_INS_B;
    if (jump && target(insns[i]) == func.entry) jump_back = i;
  }
  size_t call = jump_back;
  while (call > 0 && call < count) {
    --call;
    if (insns[call].id == (x86 ? unsigned{X86_INS_CALL} : unsigned{ARM64_INS_BL})) break;
  }
  const gobin::FuncRecord* callee = call < count ? binary.FunctionAt(target(insns[call])) : nullptr;
  if (callee == nullptr || !binary.Name(*callee).starts_with("runtime.morestack")) {
    ADD_FAILURE() << "no morestack block";
  } else {
    for (size_t i = call; i-- > 0;) {
      std::string store = DecodeStore(arch, handle, insns[i]);
      if (store.empty() && spills.empty()) continue;  // nop; arm64 `mov x3, x30` (the caller's LR)
      if (store.empty()) break;
      spills.insert(spills.begin(), store);
    }
  }
  cs_free(insns, count);
  cs_close(&handle);
  return spills;
}

// What ComputeFrameLayout expects the morestack path to spill, in the same notation.
std::vector<std::string> ExpectedSpills(const FrameLayout& layout) {
  std::vector<std::string> spills;
  for (const ValueLayout& arg : layout.args) {
    if (!arg.spill_offset) continue;
    for (const Piece& piece : arg.pieces) {
      spills.push_back(fmt::format("{}@{}:{}", LocationName(layout.arch, piece.location),
                                   *arg.spill_offset + piece.offset, piece.size));
    }
  }
  return spills;
}

class ProbeDwarfLayoutTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ProbeDwarfLayoutTest, RegisterAssignmentMatchesTheMorestackSpills) {
  const std::string variant = GetParam();
  const Arch arch = variant == "arm64" ? Arch::kArm64 : Arch::kX86_64;
  const Fixture& model = Model(variant);
  ASSERT_TRUE(model.dwarf && model.binary);
  ASSERT_EQ(model.binary->abi(), gobin::Abi::kRegister);
  for (const char* name : {"main.Mixed", "main.(*Store).Get", "main.English.Greet", "main.fib",
                           "main.handle", "main.greetAll", "main.apply", "main.square"}) {
    SCOPED_TRACE(name);
    const dwarf::Function* function = model.dwarf->FindFunction(name);
    ASSERT_NE(function, nullptr);
    auto layout = ComputeFrameLayout(arch, gobin::Abi::kRegister,
                                     /*pointer_receiver=*/false, SignatureFromDwarf(*function));
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    auto funcs = model.binary->FindFunctions(name);
    ASSERT_FALSE(funcs.empty());
    EXPECT_EQ(static_cast<uint64_t>(funcs[0]->args), layout->args_area_size) << layout->ToString();
    std::vector<std::string> spills = MorestackSpills(*model.binary, *funcs[0], arch);
    EXPECT_FALSE(spills.empty());
    EXPECT_EQ(spills, ExpectedSpills(*layout)) << layout->ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Model, ProbeDwarfLayoutTest,
                         ::testing::Values("default", "noopt", "pie", "arm64"));

TEST(ProbeDwarfSignatureTest, SignatureFromDwarfListsTheReceiver) {
  const Fixture& model = Model("default");
  ASSERT_TRUE(model.dwarf);
  const dwarf::Function* greet = model.dwarf->FindFunction("main.English.Greet");
  ASSERT_NE(greet, nullptr);
  Signature sig = SignatureFromDwarf(*greet);
  EXPECT_EQ(sig.ToString(), "(e main.English, name string) string");
  ASSERT_EQ(sig.results.size(), 1u);
  EXPECT_EQ(sig.results[0].name, "r0");  // DWARF's "~r0"
  const dwarf::Function* get = model.dwarf->FindFunction("main.(*Store).Get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(SignatureFromDwarf(*get).ToString(), "(s *main.Store, key string) (int, bool)");
}

// The check of `selector`'s signature against the DWARF of the function it names.
std::string Check(const std::string& selector) {
  const Fixture& model = Model("default");
  if (!model.dwarf) return "no DWARF";
  auto parsed = ParseSelector(selector);
  if (!parsed.ok()) return parsed.status().ToString();
  const dwarf::Function* function = model.dwarf->FindFunction(parsed->pattern);
  if (function == nullptr) return "no function " + parsed->pattern;
  Status status = CheckSignatureAgainstDwarf(*parsed->signature, *function);
  return status.ok() ? "ok" : status.message();
}

TEST(ProbeDwarfSignatureTest, AgreeingSignatures) {
  EXPECT_EQ(Check("main.(*Store).Get(k string) (int, bool)"),
            "ok");  // names need not match
  EXPECT_EQ(Check("main.English.Greet(e struct{ Exclaim bool }, name string) string"), "ok");
  EXPECT_EQ(Check("main.handle(ctx context.Context, req string) (string, error)"), "ok");
  EXPECT_EQ(Check("main.Mixed(a int, b string, c []byte, d float64, e any, f complex128, g "
                  "[2]int32, h struct{ x int8; y float32 }) (int, error)"),
            "ok");
  EXPECT_EQ(Check("main.apply(f func(int), xs ...int)"), "ok");
  EXPECT_EQ(Check("main.square(<-chan int, chan<- int)"), "ok");
}

TEST(ProbeDwarfSignatureTest, ContradictionsNameTheFirstMismatch) {
  EXPECT_EQ(Check("main.(*Store).Get(key int) (int, bool)"),
            "signature contradicts DWARF for main.(*Store).Get: parameter 1 'key' is int (8 bytes) "
            "in the signature, string (16 bytes) in DWARF");
  EXPECT_EQ(Check("main.fib(n, m int) int"),
            "signature contradicts DWARF for main.fib: 2 parameters written, DWARF has 1 (n int)");
  EXPECT_EQ(Check("main.fib(n int)"),
            "signature contradicts DWARF for main.fib: 0 results written, DWARF has 1 (int)");
  EXPECT_EQ(Check("main.handle(ctx any, req string) (string, error)"),
            "signature contradicts DWARF for main.handle: parameter 1 'ctx' is interface {} (16 "
            "bytes) in the signature, context.Context (16 bytes) in DWARF");
  EXPECT_EQ(Check("main.handle(context.Context, string) (string, bool)"),
            "signature contradicts DWARF for main.handle: result 2 'r1' is bool (1 bytes) in the "
            "signature, error (16 bytes) in DWARF");
  EXPECT_EQ(Check("main.Mixed(a int, b string, c []byte, d float64, e any, f complex128, g "
                  "[8]uint8, h struct{ x int8; y float32 }) (int, error)"),
            "signature contradicts DWARF for main.Mixed: parameter 7 'g' is [8]uint8 (8 bytes) in "
            "the signature, [2]int32 (8 bytes) in DWARF (8 vs 2 elements)");
  EXPECT_EQ(Check("main.Mixed(a int, b string, c []byte, d float64, e any, f complex128, g "
                  "[2]int32, h struct{ x int8; y int32 }) (int, error)"),
            "signature contradicts DWARF for main.Mixed: parameter 8 'h' is struct { x int8; y "
            "int32 } (8 bytes) in the signature, struct { main.x int8; main.y float32 } (8 bytes) "
            "in DWARF (field y: int32 (4 bytes) vs float32 (4 bytes))");
}

}  // namespace
}  // namespace gotap::probe
