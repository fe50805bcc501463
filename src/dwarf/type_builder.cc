#include "dwarf/type_builder.h"

#include <dwarf.h>

#include "dwarf/die_attrs.h"

namespace gotap::dwarf {
namespace {

// Typedef-like tags: they name (or qualify) another type and are flattened into it.
bool IsTypedefLike(int tag) {
  return tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type ||
         tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type;
}

Type::Kind KindFromEncoding(uint64_t encoding) {
  switch (encoding) {
    case DW_ATE_boolean:
      return Type::Kind::kBool;
    case DW_ATE_signed:
    case DW_ATE_signed_char:
      return Type::Kind::kInt;
    case DW_ATE_unsigned:
    case DW_ATE_unsigned_char:
      return Type::Kind::kUint;
    case DW_ATE_float:
      return Type::Kind::kFloat;
    case DW_ATE_complex_float:
      return Type::Kind::kComplex;
    default:
      return Type::Kind::kOther;
  }
}

// DW_AT_data_member_location: a constant (what Go writes) or a DW_OP_plus_uconst expression.
std::optional<uint64_t> MemberLocation(Dwarf_Die* member) {
  if (auto constant = UdataAttr(member, DW_AT_data_member_location)) return constant;
  return SingleOpAttr(member, DW_AT_data_member_location, DW_OP_plus_uconst);
}

// Element count of an array DIE from its DW_TAG_subrange_type child; 0 if unknown.
uint64_t ArrayLength(Dwarf_Die* array) {
  Dwarf_Die child;
  if (dwarf_child(array, &child) != 0) return 0;
  do {
    if (dwarf_tag(&child) != DW_TAG_subrange_type) continue;
    if (auto count = UdataAttr(&child, DW_AT_count)) return *count;
    if (auto upper = UdataAttr(&child, DW_AT_upper_bound)) return *upper + 1;
    return 0;
  } while (dwarf_siblingof(&child, &child) == 0);
  return 0;
}

}  // namespace

TypeBuilder::TypeBuilder(Dwarf* dwarf, DwarfData* data) : dwarf_(dwarf), data_(data) {
  if (data_->types.empty()) data_->types.emplace_back().name = "<unknown>";
}

bool TypeBuilder::IsTypeTag(int tag) {
  switch (tag) {
    case DW_TAG_base_type:
    case DW_TAG_pointer_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_array_type:
    case DW_TAG_subroutine_type:
    case DW_TAG_unspecified_type:
    case DW_TAG_enumeration_type:
      return true;
    default:
      return IsTypedefLike(tag);
  }
}

void TypeBuilder::Add(Dwarf_Die* die) {
  size_t index = LoadDie(die);
  if (index != kNone) pending_[index].preferred_name = true;
}

const Type* TypeBuilder::RefOf(Dwarf_Die* die, unsigned attr) {
  const Type* type = TypeAt(Load(RefAttr(die, attr, /*integrate=*/true).value_or(kNoRef)));
  return type != nullptr ? type : data_->unknown_type();
}

const Type* TypeBuilder::TypeAt(size_t index) const {
  return index == kNone ? nullptr : pending_[index].type;
}

size_t TypeBuilder::Load(Dwarf_Off offset) {
  if (offset == kNoRef) return kNone;
  if (auto it = pending_by_offset_.find(offset); it != pending_by_offset_.end()) return it->second;
  Dwarf_Die die;
  if (dwarf_offdie(dwarf_, offset, &die) == nullptr) return kNone;
  return LoadDie(&die);
}

size_t TypeBuilder::LoadDie(Dwarf_Die* die) {
  if (!IsTypeTag(dwarf_tag(die))) return kNone;
  Dwarf_Off offset = dwarf_dieoffset(die);
  auto [it, inserted] = pending_by_offset_.emplace(offset, pending_.size());
  if (!inserted) return it->second;
  Pending pending;
  pending.type = &data_->types.emplace_back();
  ReadShell(die, &pending);
  pending_.push_back(std::move(pending));
  return it->second;
}

void TypeBuilder::ReadShell(Dwarf_Die* die, Pending* pending) {
  Type& type = *pending->type;
  pending->tag = dwarf_tag(die);
  // Generic functions type their shape-typed parameters with local typedefs ".param0", … that
  // carry DW_AT_go_dict_index; naming them after their target ("[]go.shape.int_0") is clearer.
  if (!dwarf_hasattr(die, kAttrGoDictIndex)) type.name = NameAttr(die);
  if (auto size = UdataAttr(die, DW_AT_byte_size)) {
    type.size = *size;
    pending->has_size = true;
  }
  if (auto go_kind = UdataAttr(die, kAttrGoKind)) {
    type.kind = KindFromGoKind(*go_kind);
    pending->has_go_kind = type.kind != Type::Kind::kOther;
    if (pending->has_go_kind) type.go_kind = static_cast<uint8_t>(*go_kind);
  }
  type.runtime_type = AddrAttr(die, kAttrGoRuntimeType).value_or(0);
  pending->target = RefAttr(die, DW_AT_type).value_or(kNoRef);
  pending->go_elem = RefAttr(die, kAttrGoElem).value_or(kNoRef);
  pending->go_key = RefAttr(die, kAttrGoKey).value_or(kNoRef);

  Type::Kind shape_kind = Type::Kind::kOther;  // the kind the DWARF tag alone suggests
  switch (pending->tag) {
    case DW_TAG_base_type:
      shape_kind = KindFromEncoding(UdataAttr(die, DW_AT_encoding).value_or(0));
      break;
    case DW_TAG_pointer_type:
      // Go writes no DW_AT_byte_size on pointers; unsafe.Pointer is a pointer to nothing.
      shape_kind = pending->target == kNoRef ? Type::Kind::kUnsafePointer : Type::Kind::kPointer;
      [[fallthrough]];
    case DW_TAG_subroutine_type: {
      if (shape_kind == Type::Kind::kOther) shape_kind = Type::Kind::kFunc;
      if (!pending->has_size) {
        Dwarf_Die cu;
        uint8_t address_size = 8;
        uint8_t offset_size = 4;
        if (dwarf_diecu(die, &cu, &address_size, &offset_size) != nullptr) {
          type.size = address_size;
        }
      }
      break;
    }
    case DW_TAG_structure_type:
      shape_kind = Type::Kind::kStruct;
      ReadMembers(die, pending);
      break;
    case DW_TAG_union_type:
      ReadMembers(die, pending);
      break;
    case DW_TAG_array_type:
      shape_kind = Type::Kind::kArray;
      type.array_length = ArrayLength(die);
      break;
    default:
      break;
  }
  if (!pending->has_go_kind) type.kind = shape_kind;
}

void TypeBuilder::ReadMembers(Dwarf_Die* die, Pending* pending) {
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    pending->type->fields.push_back(Field{
        .name = NameAttr(&child),
        .offset = MemberLocation(&child).value_or(0),
        .type = data_->unknown_type(),
        .embedded = FlagAttr(&child, kAttrGoEmbeddedField),
    });
    pending->member_refs.push_back(RefAttr(&child, DW_AT_type).value_or(kNoRef));
  } while (dwarf_siblingof(&child, &child) == 0);
}

void TypeBuilder::ResolveRefs(size_t index) {
  // Load() may grow pending_, so re-index pending_[index] after each call instead of holding a
  // reference. Type objects live in the deque arena and do not move.
  size_t target = Load(pending_[index].target);
  const Type* go_elem = TypeAt(Load(pending_[index].go_elem));
  const Type* go_key = TypeAt(Load(pending_[index].go_key));
  for (size_t i = 0; i < pending_[index].member_refs.size(); ++i) {
    const Type* member = TypeAt(Load(pending_[index].member_refs[i]));
    if (member != nullptr) pending_[index].type->fields[i].type = member;
  }
  Pending& pending = pending_[index];
  Type& type = *pending.type;
  type.key = go_key;
  type.elem = go_elem;
  if (IsTypedefLike(pending.tag)) {
    pending.typedef_target = target;
  } else if (type.elem == nullptr &&
             (pending.tag == DW_TAG_pointer_type || pending.tag == DW_TAG_array_type)) {
    type.elem = TypeAt(target);
  }
}

void TypeBuilder::FlattenTypedef(size_t index) {
  Pending& pending = pending_[index];
  Type& type = *pending.type;
  bool have_kind = pending.has_go_kind;
  bool have_size = pending.has_size;
  // Walk the typedef chain ("error" -> "error" -> runtime.iface); the outermost DIE that says
  // something wins. The hop limit breaks typedef cycles in broken DWARF.
  const Pending* base = nullptr;
  size_t next = pending.typedef_target;
  for (int hops = 0; next != kNone && hops < 64; ++hops) {
    const Pending& link = pending_[next];
    const Type& link_type = *link.type;
    if (!IsTypedefLike(link.tag)) {
      base = &link;
      break;
    }
    if (!have_kind && link.has_go_kind) {
      type.kind = link_type.kind;
      type.go_kind = link_type.go_kind;
      have_kind = true;
    }
    if (!have_size && link.has_size) {
      type.size = link_type.size;
      have_size = true;
    }
    if (type.elem == nullptr) type.elem = link_type.elem;
    if (type.key == nullptr) type.key = link_type.key;
    if (type.name.empty()) type.name = link_type.name;
    next = link.typedef_target;
  }
  if (base == nullptr) return;
  const Type& base_type = *base->type;
  if (!have_kind) type.kind = base_type.kind;
  if (!have_size) type.size = base_type.size;
  if (type.elem == nullptr) type.elem = base_type.elem;
  if (type.key == nullptr) type.key = base_type.key;
  if (type.name.empty()) type.name = base_type.name;  // C const/volatile qualifiers
  type.fields = base_type.fields;
  type.array_length = base_type.array_length;
}

void TypeBuilder::Finish() {
  // Resolving may load DIEs not seen yet, which appends to pending_: a worklist.
  for (size_t i = 0; i < pending_.size(); ++i) ResolveRefs(i);
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (IsTypedefLike(pending_[i].tag)) FlattenTypedef(i);
  }
  for (Pending& pending : pending_) {
    Type& type = *pending.type;
    // C's pointers are unnamed (Go names all of its types).
    if (type.name.empty() && type.kind == Type::Kind::kPointer && type.elem != nullptr) {
      type.name = "*" + type.elem->name;
    } else if (type.name.empty() && type.kind == Type::Kind::kUnsafePointer) {
      type.name = "void*";
    }
    // runtime.eface {_type, data} backs interface{}; runtime.iface {tab, data} the others.
    if (type.kind == Type::Kind::kInterface && !type.fields.empty() &&
        type.fields.front().name == "_type") {
      type.kind = Type::Kind::kEmptyInterface;
    }
  }
  FoldAliases();
  // Names: top-level types first, so that Go's "int" wins over C's "int" in cgo binaries.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Pending& pending : pending_) {
      if (pending.preferred_name != (pass == 0) || pending.type->name.empty()) continue;
      if (alias_target_.count(pending.type) != 0) continue;
      data_->types_by_name.emplace(pending.type->name, pending.type);
    }
  }
}

void TypeBuilder::FoldAliases() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Pending& pending = pending_[i];
    if (!IsTypedefLike(pending.tag)) continue;
    // Follow same-named typedefs ("error" -> "error") to the last one or to the type they name.
    size_t canonical = i;
    for (int hops = 0; hops < 64 && IsTypedefLike(pending_[canonical].tag); ++hops) {
      size_t next = pending_[canonical].typedef_target;
      if (next == kNone || pending_[next].type->name != pending.type->name) break;
      canonical = next;
    }
    if (canonical != i) alias_target_.emplace(pending.type, pending_[canonical].type);
  }
  for (Pending& pending : pending_) {
    Type& type = *pending.type;
    type.elem = type.elem != nullptr ? Canonical(type.elem) : nullptr;
    type.key = type.key != nullptr ? Canonical(type.key) : nullptr;
    for (Field& field : type.fields) field.type = Canonical(field.type);
  }
}

const Type* TypeBuilder::Canonical(const Type* type) const {
  auto it = alias_target_.find(type);
  return it == alias_target_.end() ? type : it->second;
}

}  // namespace gotap::dwarf
