#include "gobin/rtype.h"

#include "gobin/binary.h"
#include "gobin/locate.h"

namespace gotap::gobin {
namespace {

constexpr const TypeDescriptorLayout& kT = kTypeDescriptor;
// A name longer than this is not a type name we print.
constexpr uint64_t kMaxNameLength = 4096;

}  // namespace

std::optional<std::string> DecodeRuntimeName(Bytes at, bool varint_length) {
  ByteReader r(at);
  uint64_t length = 0, pos = 1;
  if (varint_length) {
    auto n = r.Uvarint(&pos);
    if (!n) return std::nullopt;
    length = *n;
  } else {
    auto hi = r.U8(1), lo = r.U8(2);
    if (!hi || !lo) return std::nullopt;
    length = (uint64_t{*hi} << 8) | *lo;
    pos = 3;
  }
  if (length > kMaxNameLength) return std::nullopt;
  auto bytes = r.Sub(pos, length);
  if (!bytes) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

StatusOr<RuntimeTypes> RuntimeTypes::Load(const Binary& binary) {
  const elf::ElfFile& elf = binary.elf();
  auto v = binary.go_major_minor();
  const auto& md = binary.moduledata();
  if (md && md->types && md->etypes) {
    if (*md->types == 0 || *md->etypes <= *md->types) {
      return Malformed("moduledata at {:#x} has no plausible types range", md->vaddr);
    }
    return RuntimeTypes(elf, *md->types, *md->etypes, v.second, md->runs);
  }
  const std::optional<TableLocation>& loc = binary.moduledata_location();
  if (!loc) return NotFound("runtime.moduledata not found: no type information");
  uint64_t at = loc->vaddr + ModuledataTypesOffset(binary.pclntab().version(), v);
  auto types = ReadLinkTimeWord(elf, at), etypes = ReadLinkTimeWord(elf, at + 8);
  if (!types || !etypes || *types == 0 || *etypes <= *types) {
    return Malformed("moduledata at {:#x} has no plausible types range", loc->vaddr);
  }
  return RuntimeTypes(elf, *types, *etypes, v.second);
}

std::optional<RuntimeType> RuntimeTypes::TypeAt(uint64_t vaddr) const {
  if (vaddr < types_ || vaddr >= etypes_ || etypes_ - vaddr < kT.header_size) return std::nullopt;
  auto bytes = elf_->ReadVaddr(vaddr, kT.header_size);
  if (!bytes) return std::nullopt;
  ByteReader r(*bytes);
  RuntimeType t;
  t.vaddr = vaddr;
  t.size = *r.U64(kT.size_at);
  t.tflag = *r.U8(kT.tflag_at);
  uint8_t kind = *r.U8(kT.kind_at);
  t.kind = static_cast<GoKind>(kind & kT.kind_mask);
  t.direct_iface = (kind & kT.kind_direct_iface) || (t.tflag & kT.tflag_direct_iface);
  if (t.kind > GoKind::kUnsafePointer) return std::nullopt;
  int32_t str = static_cast<int32_t>(*r.U32(kT.str_at));
  uint64_t name_at = types_ + static_cast<uint64_t>(static_cast<int64_t>(str));
  if (name_at < types_ || name_at >= etypes_) return std::nullopt;
  auto name_bytes = elf_->ReadVaddrToSegmentEnd(name_at);
  if (!name_bytes) return std::nullopt;
  auto name = DecodeRuntimeName(*name_bytes, go_minor_ >= 17);
  if (!name) return std::nullopt;
  if ((t.tflag & kT.tflag_extra_star) && !name->empty() && (*name)[0] == '*') name->erase(0, 1);
  t.name = std::move(*name);
  if (t.kind == GoKind::kPointer) {
    if (auto elem = ReadLinkTimeWord(*elf_, vaddr + kT.elem_at); elem && *elem != 0) t.elem = *elem;
  }
  return t;
}

std::optional<std::vector<StructField>> RuntimeTypes::Fields(uint64_t vaddr) const {
  // structtype: _type, pkgPath name (a pointer), fields []structfield{name *byte, typ *_type,
  // offset uintptr}; before Go 1.19 `offset` was offsetAnon = offset<<1 | embedded.
  constexpr uint64_t kMaxFields = 1024;
  auto t = TypeAt(vaddr);
  if (!t || t->kind != GoKind::kStruct) return std::nullopt;
  auto data = ReadLinkTimeWord(*elf_, vaddr + kT.struct_fields_at);
  auto len = ReadLinkTimeWord(*elf_, vaddr + kT.struct_fields_at + 8);
  if (!data || !len || *len > kMaxFields) return std::nullopt;
  std::vector<StructField> fields;
  for (uint64_t i = 0; i < *len; ++i) {
    uint64_t at = *data + i * kT.struct_field_size;
    auto name_ptr = ReadLinkTimeWord(*elf_, at);
    auto type = ReadLinkTimeWord(*elf_, at + 8);
    auto offset = ReadLinkTimeWord(*elf_, at + 16);
    if (!name_ptr || !type || !offset) return std::nullopt;
    auto name_bytes = elf_->ReadVaddrToSegmentEnd(*name_ptr);
    if (!name_bytes) return std::nullopt;
    auto name = DecodeRuntimeName(*name_bytes, go_minor_ >= 17);
    if (!name) return std::nullopt;
    fields.push_back({std::move(*name), *type, go_minor_ >= 19 ? *offset : *offset >> 1});
  }
  return fields;
}

std::optional<uint64_t> RuntimeTypes::ItabType(uint64_t itab_vaddr) const {
  return ReadLinkTimeWord(*elf_, itab_vaddr + kT.itab_type_at);
}

std::map<std::string, uint64_t> RuntimeTypes::FindTypes(const std::set<std::string>& names) const {
  std::map<std::string, uint64_t> found;
  std::set<uint64_t> seen;
  auto consider = [&](uint64_t vaddr) {
    for (int hop = 0; hop < 2 && seen.insert(vaddr).second; ++hop) {
      auto t = TypeAt(vaddr);
      if (!t) return;
      if (names.count(t->name)) found.emplace(t->name, vaddr);
      if (!t->elem) return;
      vaddr = *t->elem;  // *T leads to T
    }
  };
  for (uint64_t vaddr : TypelinkTypes()) consider(vaddr);
  for (uint64_t itab : ItabAddresses()) {
    if (auto type = ItabType(itab)) consider(*type);
  }
  return found;
}

std::optional<std::string> RuntimeTypes::PkgPath(uint64_t vaddr) const {
  // The uncommon type follows the kind's own struct: structtype {_type, pkgPath name, fields
  // slice} is 80 bytes, ptrtype {_type, elem} 56. Its first field is a nameOff (from types).
  auto t = TypeAt(vaddr);
  if (!t || !(t->tflag & kT.tflag_uncommon)) return std::nullopt;
  uint64_t uncommon_at = 0;
  if (t->kind == GoKind::kStruct) {
    uncommon_at = vaddr + kT.struct_uncommon_at;
  } else if (t->kind == GoKind::kPointer) {
    uncommon_at = vaddr + kT.ptr_uncommon_at;
  } else {
    return std::nullopt;
  }
  auto bytes = elf_->ReadVaddr(uncommon_at, 4);
  if (!bytes) return std::nullopt;
  int32_t off = static_cast<int32_t>(*ByteReader(*bytes).U32(0));
  if (off <= 0) return std::nullopt;
  uint64_t name_at = types_ + static_cast<uint64_t>(off);
  if (name_at >= etypes_) return std::nullopt;
  auto name_bytes = elf_->ReadVaddrToSegmentEnd(name_at);
  if (!name_bytes) return std::nullopt;
  return DecodeRuntimeName(*name_bytes, go_minor_ >= 17);
}

std::optional<uint64_t> RuntimeTypes::InterfaceMethodCount(uint64_t vaddr) const {
  // interfacetype: _type, pkgpath name, mhdr []imethod (its length at +64).
  auto t = TypeAt(vaddr);
  if (!t || t->kind != GoKind::kInterface) return std::nullopt;
  return ReadLinkTimeWord(*elf_, vaddr + kT.interface_method_count_at);
}

std::optional<uint64_t> RuntimeTypes::PtrToThis(uint64_t vaddr) const {
  if (vaddr < types_ || vaddr >= etypes_ || etypes_ - vaddr < kT.header_size) return std::nullopt;
  auto bytes = elf_->ReadVaddr(vaddr + kT.ptr_to_this_at, 4);
  if (!bytes) return std::nullopt;
  int32_t off = static_cast<int32_t>(*ByteReader(*bytes).U32(0));
  if (off <= 0 || types_ + static_cast<uint64_t>(off) >= etypes_) return std::nullopt;
  return types_ + static_cast<uint64_t>(off);
}

std::vector<std::pair<uint64_t, uint64_t>> RuntimeTypes::Itabs() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t itab : ItabAddresses()) {
    auto inter = ReadLinkTimeWord(*elf_, itab);
    auto type = ItabType(itab);
    if (inter && type) out.emplace_back(*inter, *type);
  }
  return out;
}

// ArrayType, ChanType, SliceType and PtrType follow the _type with Elem *Type; map types (bucket
// and Swiss) with Key *Type then Elem *Type; ArrayType has Slice *Type then Len uintptr after it.
std::optional<uint64_t> RuntimeTypes::Elem(uint64_t vaddr) const {
  auto t = TypeAt(vaddr);
  if (!t) return std::nullopt;
  uint64_t at = 0;
  switch (t->kind) {
    case GoKind::kPointer:
    case GoKind::kSlice:
    case GoKind::kArray:
    case GoKind::kChan:
      at = vaddr + kT.elem_at;
      break;
    case GoKind::kMap:
      at = vaddr + kT.map_elem_at;
      break;
    default:
      return std::nullopt;
  }
  auto elem = ReadLinkTimeWord(*elf_, at);
  if (!elem || *elem < types_ || *elem >= etypes_) return std::nullopt;
  return elem;
}

std::optional<uint64_t> RuntimeTypes::MapKey(uint64_t vaddr) const {
  auto t = TypeAt(vaddr);
  if (!t || t->kind != GoKind::kMap) return std::nullopt;
  auto key = ReadLinkTimeWord(*elf_, vaddr + kT.map_key_at);
  if (!key || *key < types_ || *key >= etypes_) return std::nullopt;
  return key;
}

std::optional<uint64_t> RuntimeTypes::ArrayLength(uint64_t vaddr) const {
  auto t = TypeAt(vaddr);
  if (!t || t->kind != GoKind::kArray) return std::nullopt;
  return ReadLinkTimeWord(*elf_, vaddr + kT.array_len_at);
}

std::vector<uint64_t> RuntimeTypes::LinkedTypes(size_t limit) const {
  std::vector<uint64_t> order;
  std::set<uint64_t> seen;
  auto push = [&](uint64_t vaddr) {
    if (order.size() < limit && seen.insert(vaddr).second && TypeAt(vaddr)) order.push_back(vaddr);
  };
  for (uint64_t vaddr : TypelinkTypes()) push(vaddr);
  for (const auto& [inter, type] : Itabs()) push(type);
  // `order` grows while it is walked: each type's neighbours join the end.
  for (size_t i = 0; i < order.size() && order.size() < limit; ++i) {
    auto t = TypeAt(order[i]);
    if (!t) continue;
    if (t->elem) push(*t->elem);
    if (auto p = PtrToThis(order[i])) push(*p);
    if (t->kind == GoKind::kStruct) {
      if (auto fields = Fields(order[i])) {
        for (const StructField& f : *fields) push(f.type);
      }
    }
  }
  return order;
}

}  // namespace gotap::gobin
