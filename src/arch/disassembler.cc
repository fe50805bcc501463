#include "arch/disassembler.h"

#include <capstone/capstone.h>

#include <utility>

#include "arch/analyzers.h"

namespace gotap::arch {

namespace internal {

CapstoneView::Measured CapstoneView::Measure(uint64_t address, Bytes code) const {
  const uint8_t* data = code.data();
  size_t size = code.size();
  if (!cs_disasm_iter(handle_, &data, &size, &address, insn_)) return {};
  return Measured{static_cast<uint8_t>(insn_->size), insn_->id == X86_INS_RET};
}

std::string CapstoneView::Mnemonic(uint64_t address, Bytes code) const {
  const uint8_t* data = code.data();
  size_t size = code.size();
  if (!cs_disasm_iter(handle_, &data, &size, &address, insn_)) return "";
  return insn_->mnemonic;
}

bool CapstoneView::MayWriteSp(uint64_t address, Bytes code) const {
  const uint8_t* data = code.data();
  size_t size = code.size();
  if (!cs_disasm_iter(handle_, &data, &size, &address, insn_)) return true;
  std::string_view mnemonic = insn_->mnemonic, operands = insn_->op_str;
  for (std::string_view stack_op : {"push", "pop", "call", "ret", "leave", "enter", "iret"}) {
    if (mnemonic.starts_with(stack_op)) return true;
  }
  return operands.starts_with("rsp") || operands.starts_with("esp") ||
         operands.starts_with("sp,") || operands == "sp" || operands.starts_with("spl");
}

}  // namespace internal

StatusOr<Disassembler> Disassembler::Create(Arch arch) {
  const cs_arch cs_arch = arch == Arch::kX86_64 ? CS_ARCH_X86 : CS_ARCH_ARM64;
  const cs_mode cs_mode = arch == Arch::kX86_64 ? CS_MODE_64 : CS_MODE_LITTLE_ENDIAN;
  csh handle = 0;
  if (cs_err err = cs_open(cs_arch, cs_mode, &handle); err != CS_ERR_OK) {
    return Internal("capstone: cannot open {}: {}", ArchName(arch), cs_strerror(err));
  }
  // Detail mode stays off: the analysis reads raw bytes and capstone's mnemonics only.
  cs_insn* insn = cs_malloc(handle);
  if (insn == nullptr) {
    cs_close(&handle);
    return Internal("capstone: cannot allocate an instruction for {}", ArchName(arch));
  }
  return Disassembler(arch, handle, insn);
}

Disassembler::Disassembler(Disassembler&& other) noexcept
    : arch_(other.arch_),
      handle_(std::exchange(other.handle_, 0)),
      insn_(std::exchange(other.insn_, nullptr)) {}

Disassembler& Disassembler::operator=(Disassembler&& other) noexcept {
  if (this != &other) {
    Reset();
    arch_ = other.arch_;
    handle_ = std::exchange(other.handle_, 0);
    insn_ = std::exchange(other.insn_, nullptr);
  }
  return *this;
}

Disassembler::~Disassembler() { Reset(); }

void Disassembler::Reset() {
  if (insn_ != nullptr) cs_free(insn_, 1);
  if (handle_ != 0) {
    csh handle = handle_;
    cs_close(&handle);
  }
  insn_ = nullptr;
  handle_ = 0;
}

std::string Disassembler::Mnemonic(uint64_t address, Bytes code) const {
  if (handle_ == 0) return "";
  return internal::CapstoneView(handle_, insn_).Mnemonic(address, code);
}

StatusOr<CodeAnalysis> Disassembler::Analyze(uint64_t entry, Bytes code) const {
  if (handle_ == 0) return Internal("Analyze on a moved-from Disassembler");
  if (code.empty()) return InvalidArgument("function at {:#x} has no code", entry);
  if (code.size() > UINT32_MAX || entry + code.size() < entry) {
    return Malformed("function at {:#x} with {} bytes does not fit the address space", entry,
                     code.size());
  }
  CodeAnalysis out;
  out.entry = entry;
  out.end = entry + code.size();
  const internal::CapstoneView capstone(handle_, insn_);
  if (arch_ == Arch::kX86_64) {
    internal::AnalyzeX86_64(entry, code, capstone, &out);
  } else {
    if (entry % 4 != 0) return Malformed("arm64 function entry {:#x} is not 4-byte aligned", entry);
    out.fixed_instruction_size = 4;
    internal::AnalyzeArm64(entry, code, &out);
  }
  out.entry_probe_mnemonic =
      capstone.Mnemonic(out.entry_probe, code.subspan(out.entry_probe - entry));
  return out;
}

}  // namespace gotap::arch
