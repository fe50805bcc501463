#include "probe/abi_layout.h"

#include <fmt/format.h>

#include "probe/value_shape.h"

namespace gotap::probe {
namespace {

using dwarf::Type;
using Kind = Type::Kind;

// The implied receiver of a "(*T).M" signature: a pointer whose target type is not known.
const Type& PointerReceiverType() {
  static const Type kType = [] {
    Type type;
    type.kind = Kind::kUnsafePointer;
    type.name = "unsafe.Pointer";
    type.size = kPointerSize;
    return type;
  }();
  return kType;
}

// The assignment state of abi-internal.md: the next integer and FP register, and the stack
// sequence S built so far (its size in bytes; S starts at SP + kStackArgsOffset).
class Assigner {
 public:
  Assigner(uint32_t int_regs, uint32_t float_regs) : int_regs_(int_regs), float_regs_(float_regs) {}

  // Assigns one receiver, argument or result: to registers if it fits entirely, else wholly to
  // the stack. Precondition: CheckShape(type) is ok.
  std::vector<Piece> Assign(const Type& type) {
    std::vector<Piece> pieces;
    if (type.size == 0) {  // zero-size values take a (possibly empty) place in S, no bytes
      stack_ = AlignUp(stack_, Alignment(type));
      return pieces;
    }
    uint32_t saved_int = next_int_, saved_float = next_float_;
    if (TryRegisters(type, 0, pieces)) return pieces;
    next_int_ = saved_int;
    next_float_ = saved_float;
    pieces.clear();
    pieces.push_back(
        Piece{{Location::Kind::kStack, 0, kStackArgsOffset + Reserve(type)}, type.size, 0});
    return pieces;
  }

  // Adds a field of `type` to S and returns its offset in S.
  uint64_t Reserve(const Type& type) {
    stack_ = AlignUp(stack_, Alignment(type));
    uint64_t offset = stack_;
    stack_ += type.size;
    return offset;
  }
  void AlignStack() { stack_ = AlignUp(stack_, kPointerSize); }
  void ResetRegisters() { next_int_ = next_float_ = 0; }
  uint64_t stack_size() const { return stack_; }

 private:
  // Register-assigns `type` at byte `offset` of the value; false if it does not fit.
  bool TryRegisters(const Type& type, uint64_t offset, std::vector<Piece>& out) {
    switch (type.kind) {
      case Kind::kBool:
      case Kind::kInt:
      case Kind::kUint:
      case Kind::kUintptr:
      case Kind::kPointer:
      case Kind::kUnsafePointer:
      case Kind::kMap:
      case Kind::kChan:
      case Kind::kFunc:
        return Int(type.size, offset, out);
      case Kind::kFloat:
        return Float(type.size, offset, out);
      case Kind::kComplex:  // real part, then imaginary part
        return Float(type.size / 2, offset, out) &&
               Float(type.size / 2, offset + type.size / 2, out);
      case Kind::kString:          // {ptr, len}
      case Kind::kInterface:       // {itab, data}
      case Kind::kEmptyInterface:  // {type, data}
        return Int(kPointerSize, offset, out) && Int(kPointerSize, offset + kPointerSize, out);
      case Kind::kSlice:  // {ptr, len, cap}
        return Int(kPointerSize, offset, out) && Int(kPointerSize, offset + kPointerSize, out) &&
               Int(kPointerSize, offset + 2 * kPointerSize, out);
      case Kind::kStruct:
        for (const dwarf::Field& field : type.fields) {
          if (!TryRegisters(*field.type, offset + field.offset, out)) return false;
        }
        return true;
      case Kind::kArray:
        if (type.array_length == 0 || type.elem == nullptr) return true;
        return type.array_length == 1 && TryRegisters(*type.elem, offset, out);
      case Kind::kOther:
        return false;
    }
    return false;
  }

  bool Int(uint64_t size, uint64_t offset, std::vector<Piece>& out) {
    if (next_int_ >= int_regs_) return false;
    out.push_back(Piece{{Location::Kind::kIntReg, next_int_++, 0}, size, offset});
    return true;
  }
  bool Float(uint64_t size, uint64_t offset, std::vector<Piece>& out) {
    if (next_float_ >= float_regs_) return false;
    out.push_back(Piece{{Location::Kind::kFloatReg, next_float_++, 0}, size, offset});
    return true;
  }

  const uint32_t int_regs_;
  const uint32_t float_regs_;
  uint32_t next_int_ = 0;
  uint32_t next_float_ = 0;
  uint64_t stack_ = 0;
};

Status CheckValue(const Value& value, const char* role) {
  if (value.type == nullptr) return Internal("{} '{}' has no type", role, value.name);
  Status status = CheckShape(*value.type);
  if (!status.ok()) {
    return Status(status.code(),
                  fmt::format("cannot lay out {} '{}': {}", role, value.name, status.message()));
  }
  return Status::Ok();
}

}  // namespace

bool ValueLayout::in_registers() const {
  return !pieces.empty() && pieces.front().location.kind != Location::Kind::kStack;
}

bool ValueLayout::ReadableAtUprobe() const {
  for (const Piece& piece : pieces) {
    if (piece.location.kind == Location::Kind::kFloatReg) return false;
  }
  return true;
}

StatusOr<FrameLayout> ComputeFrameLayout(arch::Arch arch, gobin::Abi abi, bool pointer_receiver,
                                         const Signature& signature) {
  for (const Value& value : signature.params) RETURN_IF_ERROR(CheckValue(value, "parameter"));
  for (const Value& value : signature.results) RETURN_IF_ERROR(CheckValue(value, "result"));

  const arch::RegisterAbi& regs = arch::GoRegisterAbi(arch);
  bool register_abi = abi == gobin::Abi::kRegister;
  Assigner assigner(register_abi ? static_cast<uint32_t>(regs.int_args.size()) : 0,
                    register_abi ? regs.float_arg_count : 0);
  FrameLayout layout;
  layout.arch = arch;
  layout.abi = abi;
  auto assign = [&assigner](ValueLayout::Role role, const std::string& name, const Type* type) {
    ValueLayout value;
    value.role = role;
    value.name = name;
    value.type = type;
    value.pieces = assigner.Assign(*type);
    return value;
  };
  if (pointer_receiver) {
    layout.args.push_back(assign(ValueLayout::Role::kReceiver, "recv", &PointerReceiverType()));
  }
  for (const Value& value : signature.params) {
    layout.args.push_back(assign(ValueLayout::Role::kParam, value.name, value.type));
  }
  assigner.AlignStack();
  assigner.ResetRegisters();
  for (const Value& value : signature.results) {
    layout.results.push_back(assign(ValueLayout::Role::kResult, value.name, value.type));
  }
  assigner.AlignStack();
  for (ValueLayout& arg : layout.args) {
    if (arg.in_registers()) arg.spill_offset = kStackArgsOffset + assigner.Reserve(*arg.type);
  }
  assigner.AlignStack();
  layout.args_area_size = assigner.stack_size();
  return layout;
}

const arch::Register* IntRegister(arch::Arch arch, uint32_t index) {
  const arch::RegisterAbi& regs = arch::GoRegisterAbi(arch);
  return index < regs.int_args.size() ? &regs.int_args[index] : nullptr;
}

std::string LocationName(arch::Arch arch, const Location& location) {
  switch (location.kind) {
    case Location::Kind::kIntReg: {
      const arch::Register* reg = IntRegister(arch, location.index);
      return reg != nullptr ? reg->name : fmt::format("int{}?", location.index);
    }
    case Location::Kind::kFloatReg:
      return fmt::format("{}{}", arch == arch::Arch::kX86_64 ? "xmm" : "v", location.index);
    case Location::Kind::kStack:
      return fmt::format("sp+{}", location.stack_offset);
  }
  return "?";
}

std::string PiecesToString(arch::Arch arch, const std::vector<Piece>& pieces) {
  std::string out;
  for (const Piece& piece : pieces) {
    if (!out.empty()) out += ",";
    out += fmt::format("{}[{},{})", LocationName(arch, piece.location), piece.offset,
                       piece.offset + piece.size);
  }
  return out;
}

std::string FrameLayout::ToString() const {
  std::string out;
  auto line = [&](const char* prefix, const ValueLayout& value) {
    out += fmt::format("{}{} {}: {}", prefix, value.name, value.type->name,
                       value.pieces.empty() ? "(no bytes)" : PiecesToString(arch, value.pieces));
    if (value.spill_offset) out += fmt::format(" spill sp+{}", *value.spill_offset);
    out += "\n";
  };
  for (const ValueLayout& arg : args) line("", arg);
  for (const ValueLayout& result : results) line("-> ", result);
  out += fmt::format("args area {} bytes ({} ABI, {})\n", args_area_size, gobin::AbiName(abi),
                     arch::ArchName(arch));
  return out;
}

}  // namespace gotap::probe
