#include "arch/abi.h"

#include <array>
#include <cstddef>

#if defined(__x86_64__)
#include <asm/ptrace.h>  // struct pt_regs (x86-64 layout when not __KERNEL__)
#include <sys/user.h>    // struct user_regs_struct: the same layout, as ptrace(2) returns it
#elif defined(__aarch64__)
#include <asm/ptrace.h>  // struct user_pt_regs
#endif

namespace gotap::arch {
namespace {

// x86-64 struct pt_regs: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs
// eflags rsp ss, 8 bytes each.
constexpr Register kRax{"rax", 0, 80};
constexpr Register kRdx{"rdx", 1, 96};
constexpr Register kRcx{"rcx", 2, 88};
constexpr Register kRbx{"rbx", 3, 40};
constexpr Register kRsi{"rsi", 4, 104};
constexpr Register kRdi{"rdi", 5, 112};
constexpr Register kRbp{"rbp", 6, 32};
constexpr Register kRsp{"rsp", 7, 152};
constexpr Register kR8{"r8", 8, 72};
constexpr Register kR9{"r9", 9, 64};
constexpr Register kR10{"r10", 10, 56};
constexpr Register kR11{"r11", 11, 48};
constexpr Register kR12{"r12", 12, 24};
constexpr Register kR13{"r13", 13, 16};
constexpr Register kR14{"r14", 14, 8};
constexpr Register kR15{"r15", 15, 0};
constexpr Register kRip{"rip", 16, 128};  // DWARF 16 is the return-address column

#if defined(__x86_64__)
#define GOTAP_PIN(reg, field)                                     \
  static_assert(reg.pt_regs_offset == offsetof(pt_regs, field) && \
                reg.pt_regs_offset == offsetof(user_regs_struct, field))
GOTAP_PIN(kRax, rax);
GOTAP_PIN(kRdx, rdx);
GOTAP_PIN(kRcx, rcx);
GOTAP_PIN(kRbx, rbx);
GOTAP_PIN(kRsi, rsi);
GOTAP_PIN(kRdi, rdi);
GOTAP_PIN(kRbp, rbp);
GOTAP_PIN(kRsp, rsp);
GOTAP_PIN(kR8, r8);
GOTAP_PIN(kR9, r9);
GOTAP_PIN(kR10, r10);
GOTAP_PIN(kR11, r11);
GOTAP_PIN(kR12, r12);
GOTAP_PIN(kR13, r13);
GOTAP_PIN(kR14, r14);
GOTAP_PIN(kR15, r15);
GOTAP_PIN(kRip, rip);
#undef GOTAP_PIN
#endif

constexpr std::array kAmd64IntArgs = {kRax, kRbx, kRcx, kRdi, kRsi, kR8, kR9, kR10, kR11};
constexpr std::array kAmd64General = {kRax, kRdx, kRcx, kRbx, kRsi, kRdi, kRbp, kRsp, kR8,
                                      kR9,  kR10, kR11, kR12, kR13, kR14, kR15, kRip};

// arm64 user_pt_regs: u64 regs[31] (x0..x30), sp, pc, pstate. DWARF numbers x0..x30 = 0..30,
// sp = 31, pc = 32 (added in the 2020s revisions of the AArch64 DWARF ABI).
constexpr Register X(int n, const char* name) {
  return Register{name, static_cast<uint16_t>(n), static_cast<uint16_t>(8 * n)};
}
constexpr std::array kArm64General = {
    X(0, "x0"),
    X(1, "x1"),
    X(2, "x2"),
    X(3, "x3"),
    X(4, "x4"),
    X(5, "x5"),
    X(6, "x6"),
    X(7, "x7"),
    X(8, "x8"),
    X(9, "x9"),
    X(10, "x10"),
    X(11, "x11"),
    X(12, "x12"),
    X(13, "x13"),
    X(14, "x14"),
    X(15, "x15"),
    X(16, "x16"),
    X(17, "x17"),
    X(18, "x18"),
    X(19, "x19"),
    X(20, "x20"),
    X(21, "x21"),
    X(22, "x22"),
    X(23, "x23"),
    X(24, "x24"),
    X(25, "x25"),
    X(26, "x26"),
    X(27, "x27"),
    X(28, "x28"),
    X(29, "x29"),
    X(30, "x30"),
    Register{"sp", 31, 248},
    Register{"pc", 32, 256},
};
constexpr const Register& kArm64Sp = kArm64General[31];
constexpr const Register& kArm64Pc = kArm64General[32];

#if defined(__aarch64__)
static_assert(offsetof(user_pt_regs, regs[28]) == kArm64General[28].pt_regs_offset);
static_assert(offsetof(user_pt_regs, sp) == kArm64Sp.pt_regs_offset);
static_assert(offsetof(user_pt_regs, pc) == kArm64Pc.pt_regs_offset);
#endif

constexpr RegisterAbi kAmd64{
    .arch = Arch::kX86_64,
    .int_args = kAmd64IntArgs,
    .float_arg_count = 15,
    .first_float_dwarf_number = 17,
    .g = kR14,
    .closure_context = kRdx,
    .stack_pointer = kRsp,
    .frame_pointer = kRbp,
    .program_counter = kRip,
    .link_register = {nullptr, 0, 0},
    .general_registers = kAmd64General,
};

constexpr RegisterAbi kArm64{
    .arch = Arch::kArm64,
    .int_args = std::span(kArm64General).first(16),
    .float_arg_count = 16,
    .first_float_dwarf_number = 64,
    .g = kArm64General[28],
    .closure_context = kArm64General[26],
    .stack_pointer = kArm64Sp,
    .frame_pointer = kArm64General[29],
    .program_counter = kArm64Pc,
    .link_register = kArm64General[30],
    .general_registers = kArm64General,
};

}  // namespace

const RegisterAbi& GoRegisterAbi(Arch arch) { return arch == Arch::kX86_64 ? kAmd64 : kArm64; }

const Register* RegisterByDwarfNumber(Arch arch, uint16_t dwarf_number) {
  for (const Register& r : GoRegisterAbi(arch).general_registers) {
    if (r.dwarf_number == dwarf_number) return &r;
  }
  return nullptr;
}

const Register* RegisterByName(Arch arch, std::string_view name) {
  for (const Register& r : GoRegisterAbi(arch).general_registers) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

}  // namespace gotap::arch
