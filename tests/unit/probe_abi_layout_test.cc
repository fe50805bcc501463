// ComputeFrameLayout against abi-internal.md's rules and the worked examples of go-internals.md §1
// (register ABI on x86-64 and arm64, ABI0), on signatures parsed from selectors.
#include "probe/abi_layout.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "probe/selector.h"

namespace gotap::probe {
namespace {

using arch::Arch;
using gobin::Abi;

// Parses `selector` (kept alive for the types) and lays it out.
class Layout {
 public:
  Layout(std::string_view selector, Arch arch, Abi abi, bool pointer_receiver = false) {
    auto parsed = ParseSelector(selector);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (!parsed.ok() || !parsed->signature) return;
    selector_ = std::move(parsed).value();
    auto layout = ComputeFrameLayout(arch, abi, pointer_receiver, *selector_.signature);
    EXPECT_TRUE(layout.ok()) << layout.status().ToString();
    if (layout.ok()) layout_ = std::move(layout).value();
  }

  // name -> "rax[0,8)" etc., results prefixed with "-> ".
  std::map<std::string, std::string> Pieces() const {
    std::map<std::string, std::string> out;
    for (const ValueLayout& v : layout_.args) out[v.name] = PiecesToString(layout_.arch, v.pieces);
    for (const ValueLayout& v : layout_.results) {
      out["-> " + v.name] = PiecesToString(layout_.arch, v.pieces);
    }
    return out;
  }
  const FrameLayout& frame() const { return layout_; }
  const ValueLayout& arg(size_t i) const { return layout_.args.at(i); }

 private:
  Selector selector_;
  FrameLayout layout_;
};

constexpr const char* kMixed =
    "main.Mixed(a int, b string, c []byte, d float64, e interface{}, f complex128, g [2]int32, h "
    "struct{ x int8; y float32 }) (int, error)";

TEST(ProbeAbiLayoutTest, MixedWorkedExampleAmd64) {
  Layout mixed(kMixed, Arch::kX86_64, Abi::kRegister);
  std::map<std::string, std::string> want = {
      {"a", "rax[0,8)"},
      {"b", "rbx[0,8),rcx[8,16)"},
      {"c", "rdi[0,8),rsi[8,16),r8[16,24)"},
      {"d", "xmm0[0,8)"},
      {"e", "r9[0,8),r10[8,16)"},
      {"f", "xmm1[0,8),xmm2[8,16)"},
      {"g", "sp+8[0,8)"},  // an array of 2 elements never goes to registers
      {"h", "r11[0,1),xmm3[4,8)"},
      {"-> r0", "rax[0,8)"},  // registers start over for results
      {"-> r1", "rbx[0,8),rcx[8,16)"},
  };
  EXPECT_EQ(mixed.Pieces(), want);
  // Spill area after the 8 bytes of stack arguments, each slot at its type's alignment; its end
  // is pclntab's _func.args for main.Mixed (0x68, go-internals.md §9).
  std::vector<std::optional<uint64_t>> spills;
  for (const ValueLayout& v : mixed.frame().args) spills.push_back(v.spill_offset);
  EXPECT_EQ(spills,
            (std::vector<std::optional<uint64_t>>{16, 24, 40, 64, 72, 88, std::nullopt, 104}));
  EXPECT_EQ(mixed.frame().args_area_size, 0x68u);
  EXPECT_TRUE(mixed.arg(0).ReadableAtUprobe());
  EXPECT_FALSE(mixed.arg(3).ReadableAtUprobe());  // d: xmm0
  EXPECT_TRUE(mixed.arg(6).ReadableAtUprobe());   // g: stack
  EXPECT_FALSE(mixed.arg(7).ReadableAtUprobe());  // h.y: xmm3
  EXPECT_FALSE(mixed.arg(6).in_registers());
  EXPECT_EQ(IntRegister(Arch::kX86_64, mixed.arg(7).pieces[0].location.index)->name,
            std::string("r11"));
}

TEST(ProbeAbiLayoutTest, MixedWorkedExampleArm64) {
  Layout mixed(kMixed, Arch::kArm64, Abi::kRegister);
  std::map<std::string, std::string> want = {
      {"a", "x0[0,8)"},
      {"b", "x1[0,8),x2[8,16)"},
      {"c", "x3[0,8),x4[8,16),x5[16,24)"},
      {"d", "v0[0,8)"},
      {"e", "x6[0,8),x7[8,16)"},
      {"f", "v1[0,8),v2[8,16)"},
      {"g", "sp+8[0,8)"},
      {"h", "x8[0,1),v3[4,8)"},
      {"-> r0", "x0[0,8)"},
      {"-> r1", "x1[0,8),x2[8,16)"},
  };
  EXPECT_EQ(mixed.Pieces(), want);
  EXPECT_EQ(mixed.frame().args_area_size, 0x68u);
}

std::string IntParams(int count, const char* type) {
  std::string params;
  for (int i = 0; i < count; ++i) params += (i ? ", p" : "p") + std::to_string(i) + " " + type;
  return params;
}

TEST(ProbeAbiLayoutTest, RegisterCountsPerArch) {
  // amd64: 9 integer registers, 15 FP registers; arm64: 16 and 16.
  Layout amd_ints("f(" + IntParams(10, "int") + ")", Arch::kX86_64, Abi::kRegister);
  EXPECT_EQ(amd_ints.Pieces()["p8"], "r11[0,8)");
  EXPECT_EQ(amd_ints.Pieces()["p9"], "sp+8[0,8)");
  Layout arm_ints("f(" + IntParams(17, "uint32") + ")", Arch::kArm64, Abi::kRegister);
  EXPECT_EQ(arm_ints.Pieces()["p15"], "x15[0,4)");
  EXPECT_EQ(arm_ints.Pieces()["p16"], "sp+8[0,4)");
  EXPECT_EQ(arm_ints.frame().args_area_size,
            8u + 16 * 4);  // 4 stack bytes + 16 spill slots

  Layout amd_floats("f(" + IntParams(16, "float64") + ")", Arch::kX86_64, Abi::kRegister);
  EXPECT_EQ(amd_floats.Pieces()["p14"], "xmm14[0,8)");
  EXPECT_EQ(amd_floats.Pieces()["p15"], "sp+8[0,8)");
  Layout arm_floats("f(" + IntParams(17, "float32") + ")", Arch::kArm64, Abi::kRegister);
  EXPECT_EQ(arm_floats.Pieces()["p15"], "v15[0,4)");
  EXPECT_EQ(arm_floats.Pieces()["p16"], "sp+8[0,4)");
}

TEST(ProbeAbiLayoutTest, ValueThatDoesNotFitGoesWhollyToTheStack) {
  // Seven ints take rax..r9; s needs three registers but only r10, r11 remain: all of s goes to
  // the stack, and t still gets r10 (the counters are restored after the failed attempt).
  Layout f("f(a, b, c, d, e, f, g int, s struct{ x, y, z int }, t int, u string)", Arch::kX86_64,
           Abi::kRegister);
  auto pieces = f.Pieces();
  EXPECT_EQ(pieces["g"], "r9[0,8)");
  EXPECT_EQ(pieces["s"], "sp+8[0,24)");
  EXPECT_EQ(pieces["t"], "r10[0,8)");
  EXPECT_EQ(pieces["u"],
            "sp+32[0,16)");  // one register left, a string needs two
  // Floats do not use integer registers: a struct of a float and an int fits the last ones.
  Layout g("f(a, b, c, d, e, f, g, h int, s struct{ x float64; y int })", Arch::kX86_64,
           Abi::kRegister);
  EXPECT_EQ(g.Pieces()["s"], "xmm0[0,8),r11[8,16)");
}

TEST(ProbeAbiLayoutTest, ArraysAndZeroSizedValues) {
  Layout f(
      "f(a [1]string, b [0]int, c int8, z struct{}, d [2]int8, e [1][1]float32) ([1]int, [3]byte)",
      Arch::kX86_64, Abi::kRegister);
  auto pieces = f.Pieces();
  EXPECT_EQ(pieces["a"],
            "rax[0,8),rbx[8,16)");  // a one-element array is its element
  EXPECT_EQ(pieces["b"], "");       // zero size: no bytes anywhere
  EXPECT_EQ(pieces["c"], "rcx[0,1)");
  EXPECT_EQ(pieces["z"], "");
  EXPECT_EQ(pieces["d"], "sp+8[0,2)");
  EXPECT_EQ(pieces["e"], "xmm0[0,4)");
  EXPECT_EQ(pieces["-> r0"], "rax[0,8)");
  // Stack results follow the stack arguments, pointer-aligned: d took 2 bytes, so r1 is at +16.
  EXPECT_EQ(pieces["-> r1"], "sp+16[0,3)");
  EXPECT_FALSE(f.arg(1).spill_offset.has_value());
  // Spill area from 8 + 16: a (16 bytes) at +24, c at +40, e (align 4) at +44 -> ends at +48.
  EXPECT_EQ(f.arg(0).spill_offset, 24u);
  EXPECT_EQ(f.arg(2).spill_offset, 40u);
  EXPECT_EQ(f.arg(5).spill_offset, 44u);
  EXPECT_EQ(f.frame().args_area_size, 40u);
}

TEST(ProbeAbiLayoutTest, PointerReceiverIsOneWordFirst) {
  Layout get("main.(*Store).Get(key string) (int, bool)", Arch::kX86_64, Abi::kRegister,
             /*pointer_receiver=*/true);
  ASSERT_EQ(get.frame().args.size(), 2u);
  EXPECT_EQ(get.arg(0).role, ValueLayout::Role::kReceiver);
  EXPECT_EQ(get.arg(0).name, "recv");
  auto pieces = get.Pieces();
  EXPECT_EQ(pieces["recv"], "rax[0,8)");
  EXPECT_EQ(pieces["key"], "rbx[0,8),rcx[8,16)");
  EXPECT_EQ(pieces["-> r1"], "rbx[0,1)");
  EXPECT_EQ(get.frame().args_area_size, 24u);
}

TEST(ProbeAbiLayoutTest, Abi0PutsEverythingOnTheStack) {
  // Pixie's ABI0 probe of runtime.casgstatus: gp at sp+8, oldval at +16, newval at +20.
  Layout cas("runtime.casgstatus(gp *runtime.g, oldval, newval uint32)", Arch::kX86_64,
             Abi::kStack);
  EXPECT_EQ(cas.Pieces(),
            (std::map<std::string, std::string>{
                {"gp", "sp+8[0,8)"}, {"oldval", "sp+16[0,4)"}, {"newval", "sp+20[0,4)"}}));
  EXPECT_EQ(cas.frame().args_area_size, 16u);
  // Results start after the arguments rounded up to the pointer size.
  Layout f("f(a int32) int64", Arch::kX86_64, Abi::kStack);
  EXPECT_EQ(f.Pieces(),
            (std::map<std::string, std::string>{{"a", "sp+8[0,4)"}, {"-> r0", "sp+16[0,8)"}}));
  // Floats are readable from the stack; no spill area under ABI0; same offsets on arm64.
  Layout mixed(kMixed, Arch::kArm64, Abi::kStack);
  auto pieces = mixed.Pieces();
  EXPECT_EQ(pieces["a"], "sp+8[0,8)");
  EXPECT_EQ(pieces["b"], "sp+16[0,16)");
  EXPECT_EQ(pieces["c"], "sp+32[0,24)");
  EXPECT_EQ(pieces["d"], "sp+56[0,8)");
  EXPECT_EQ(pieces["e"], "sp+64[0,16)");
  EXPECT_EQ(pieces["f"], "sp+80[0,16)");
  EXPECT_EQ(pieces["g"], "sp+96[0,8)");
  EXPECT_EQ(pieces["h"], "sp+104[0,8)");
  EXPECT_EQ(pieces["-> r0"], "sp+112[0,8)");
  EXPECT_EQ(pieces["-> r1"], "sp+120[0,16)");
  for (const ValueLayout& v : mixed.frame().args) {
    EXPECT_TRUE(v.ReadableAtUprobe()) << v.name;
    EXPECT_FALSE(v.spill_offset.has_value()) << v.name;
  }
  EXPECT_EQ(mixed.frame().args_area_size, 128u);
}

TEST(ProbeAbiLayoutTest, UnlayableTypesAreErrors) {
  using dwarf::Type;
  Type unknown;
  unknown.name = "main.T";
  Type short_string;
  short_string.kind = Type::Kind::kString;
  short_string.name = "string";
  short_string.size = 8;
  Type loop;  // a struct that contains itself: only a broken DWARF says that
  loop.kind = Type::Kind::kStruct;
  loop.name = "main.Loop";
  loop.fields.push_back(dwarf::Field{"next", 0, &loop});
  Type int_type;
  int_type.kind = Type::Kind::kInt;
  int_type.name = "int";
  int_type.size = 8;
  Type short_array;
  short_array.kind = Type::Kind::kArray;
  short_array.name = "[4]int";
  short_array.size = 16;
  short_array.array_length = 4;
  short_array.elem = &int_type;

  auto error = [](const Type& type) {
    Signature sig;
    sig.params.push_back(Value{"x", &type, true});
    auto layout = ComputeFrameLayout(Arch::kX86_64, Abi::kRegister, false, sig);
    return layout.ok() ? std::string("ok") : layout.status().ToString();
  };
  EXPECT_EQ(error(unknown),
            "cannot lay out parameter 'x': type main.T has no Go kind that gotap can lay out "
            "(unsupported)");
  EXPECT_EQ(error(short_string),
            "cannot lay out parameter 'x': type string (string) has an impossible size of 8 bytes "
            "(malformed)");
  EXPECT_EQ(error(loop),
            "cannot lay out parameter 'x': type main.Loop nests deeper than 32 levels (malformed)");
  EXPECT_EQ(error(short_array),
            "cannot lay out parameter 'x': array type [4]int has 16 bytes for 4 elements of 8 "
            "bytes (malformed)");
}

}  // namespace
}  // namespace gotap::probe
