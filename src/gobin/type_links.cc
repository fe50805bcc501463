// Which types and itabs a binary lists, in both layouts: the .typelink/.itablink sections
// (Go <= 1.26) and Go 1.27's runs of descriptors inside [types, etypes), which the runtime
// itself walks with abi.(*Type).DescriptorSize (runtime/type.go moduleTypelinks) and
// abi.(*ITab).Size (runtime/iface.go addModuleItabs).
#include "gobin/locate.h"
#include "gobin/rtype.h"

namespace gotap::gobin {
namespace {

constexpr uint64_t kPtrSize = 8;
constexpr uint64_t kTypeSize = kTypeDescriptor.header_size;  // abi.Type
constexpr uint64_t kUncommonSize = 16, kMethodSize = 16;     // abi.UncommonType, abi.Method
constexpr uint64_t kImethodSize = 8;
constexpr uint64_t kItabSize = 32;  // abi.ITab with one Fun word
// More than any real descriptor: struct fields, methods and func parameters are bounded by it.
constexpr uint64_t kMaxTrailing = 1 << 16;

// The linker's .typelink / .itablink section; in PIE binaries (internal linking) they are
// named .data.rel.ro.typelink / .data.rel.ro.itablink.
const elf::Section* FindLinkSection(const elf::ElfFile& elf, std::string_view name) {
  if (const elf::Section* s = elf.FindSection(name)) return s;
  return elf.FindSection(".data.rel.ro" + std::string(name));
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

std::optional<uint64_t> RuntimeTypes::DescriptorSize(uint64_t vaddr) const {
  auto t = TypeAt(vaddr);
  if (!t) return std::nullopt;
  // The kind's own struct (Go 1.27 internal/abi), and what trails the uncommon type.
  uint64_t base = kTypeSize, trailing = 0;
  auto count = [&](uint64_t at) { return ReadLinkTimeWord(*elf_, vaddr + at); };
  switch (t->kind) {
    case GoKind::kArray:  // Elem, Slice, Len
      base += 24;
      break;
    case GoKind::kChan:  // Elem, Dir
    case GoKind::kPointer:
    case GoKind::kSlice:
      base += t->kind == GoKind::kChan ? 16 : 8;
      break;
    case GoKind::kFunc: {  // InCount, OutCount (top bit: variadic), then the parameter types
      base += 8;
      auto bytes = elf_->ReadVaddr(vaddr + kTypeSize, 4);
      if (!bytes) return std::nullopt;
      ByteReader r(*bytes);
      trailing = (uint64_t{*r.U16(0)} + (*r.U16(2) & 0x7fff)) * kPtrSize;
      break;
    }
    case GoKind::kInterface: {  // PkgPath, Methods []Imethod
      base += 32;
      auto n = count(kTypeDescriptor.interface_method_count_at);
      if (!n || *n > kMaxTrailing) return std::nullopt;
      trailing = *n * kImethodSize;
      break;
    }
    case GoKind::kStruct: {  // PkgPath, Fields []StructField
      base += 32;
      auto n = count(kTypeDescriptor.struct_fields_at + 8);  // the slice's length
      if (!n || *n > kMaxTrailing) return std::nullopt;
      trailing = *n * kTypeDescriptor.struct_field_size;
      break;
    }
    case GoKind::kMap:  // Key, Elem, Group, Hasher, GroupSize, 5 offsets/strides, Flags
      base += 88;
      break;
    case GoKind::kInvalid:
      return std::nullopt;
    default:  // scalars, strings, unsafe.Pointer: the bare abi.Type
      break;
  }
  uint64_t size = base + trailing;
  if (t->tflag & kTypeDescriptor.tflag_uncommon) {
    auto bytes = elf_->ReadVaddr(vaddr + base, kUncommonSize);
    if (!bytes) return std::nullopt;
    size += kUncommonSize + uint64_t{*ByteReader(*bytes).U16(4)} * kMethodSize;
  }
  return size;
}

std::vector<uint64_t> RuntimeTypes::TypelinkTypes() const {
  std::vector<uint64_t> out;
  if (runs_) {
    // The run starts one pointer past `types`, so that no type sits at offset 0.
    uint64_t end = types_ + runs_->typelinks_end;
    for (uint64_t at = types_ + kPtrSize; at < end && end <= etypes_;) {
      at = AlignUp(at, kPtrSize);
      auto size = DescriptorSize(at);
      if (!size) break;
      out.push_back(at);
      at += *size;
    }
    return out;
  }
  const elf::Section* s = FindLinkSection(*elf_, ".typelink");
  if (s == nullptr) return out;
  auto data = elf_->SectionData(*s);
  if (!data) return out;
  ByteReader r(*data);
  for (uint64_t at = 0; at + 4 <= r.size(); at += 4) {
    int32_t off = static_cast<int32_t>(*r.U32(at));
    out.push_back(types_ + static_cast<uint64_t>(static_cast<int64_t>(off)));
  }
  return out;
}

std::vector<uint64_t> RuntimeTypes::ItabAddresses() const {
  std::vector<uint64_t> out;
  if (runs_) {
    uint64_t at = types_ + runs_->itabs_begin, end = at + runs_->itabs_size;
    while (at + kItabSize <= end && end <= etypes_) {
      // abi.(*ITab).Size: one Fun word if Fun[0] is 0 (the type lacks a method), else one per
      // method of the interface.
      auto inter = ReadLinkTimeWord(*elf_, at);
      auto fun0 = ReadLinkTimeWord(*elf_, at + 24);
      if (!inter || !fun0) break;
      uint64_t size = kItabSize;
      if (*fun0 != 0) {
        auto methods = InterfaceMethodCount(*inter);
        if (!methods || *methods == 0 || *methods > kMaxTrailing) break;
        size += (*methods - 1) * kPtrSize;
      }
      out.push_back(at);
      at = AlignUp(at + size, kPtrSize);
    }
    return out;
  }
  const elf::Section* s = FindLinkSection(*elf_, ".itablink");
  if (s == nullptr) return out;
  auto data = elf_->SectionData(*s);
  if (!data) return out;
  for (uint64_t at = 0; at + 8 <= data->size(); at += 8) {
    if (auto itab = ReadLinkTimeWord(*elf_, s->vaddr + at)) out.push_back(*itab);
  }
  return out;
}

}  // namespace gotap::gobin
