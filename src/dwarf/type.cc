#include "dwarf/type.h"

#include <fmt/format.h>

namespace gotap::dwarf {

const char* KindName(Type::Kind kind) {
  switch (kind) {
    case Type::Kind::kOther:
      return "other";
    case Type::Kind::kBool:
      return "bool";
    case Type::Kind::kInt:
      return "int";
    case Type::Kind::kUint:
      return "uint";
    case Type::Kind::kUintptr:
      return "uintptr";
    case Type::Kind::kFloat:
      return "float";
    case Type::Kind::kComplex:
      return "complex";
    case Type::Kind::kString:
      return "string";
    case Type::Kind::kSlice:
      return "slice";
    case Type::Kind::kArray:
      return "array";
    case Type::Kind::kStruct:
      return "struct";
    case Type::Kind::kPointer:
      return "pointer";
    case Type::Kind::kUnsafePointer:
      return "unsafe-pointer";
    case Type::Kind::kInterface:
      return "interface";
    case Type::Kind::kEmptyInterface:
      return "empty-interface";
    case Type::Kind::kMap:
      return "map";
    case Type::Kind::kChan:
      return "chan";
    case Type::Kind::kFunc:
      return "func";
  }
  return "?";
}

Type::Kind KindFromGoKind(uint64_t go_kind) {
  // Runtime kinds (runtime/typekind.go): Bool=1, Int..Int64=2..6, Uint..Uint64=7..11, Uintptr=12,
  // Float32/64=13/14, Complex64/128=15/16, Array=17, Chan=18, Func=19, Interface=20, Map=21,
  // Pointer=22, Slice=23, String=24, Struct=25, UnsafePointer=26.
  if (go_kind == 1) return Type::Kind::kBool;
  if (go_kind >= 2 && go_kind <= 6) return Type::Kind::kInt;
  if (go_kind >= 7 && go_kind <= 11) return Type::Kind::kUint;
  switch (go_kind) {
    case 12:
      return Type::Kind::kUintptr;
    case 13:
    case 14:
      return Type::Kind::kFloat;
    case 15:
    case 16:
      return Type::Kind::kComplex;
    case 17:
      return Type::Kind::kArray;
    case 18:
      return Type::Kind::kChan;
    case 19:
      return Type::Kind::kFunc;
    case 20:
      return Type::Kind::kInterface;
    case 21:
      return Type::Kind::kMap;
    case 22:
      return Type::Kind::kPointer;
    case 23:
      return Type::Kind::kSlice;
    case 24:
      return Type::Kind::kString;
    case 25:
      return Type::Kind::kStruct;
    case 26:
      return Type::Kind::kUnsafePointer;
    default:
      return Type::Kind::kOther;
  }
}

const Field* Type::FindField(std::string_view field_name) const {
  for (const Field& field : fields) {
    if (field.name == field_name) return &field;
  }
  return nullptr;
}

std::string Field::ToString() const {
  return fmt::format("{}{}@{}:{}", embedded ? "(embedded)" : "", name, offset,
                     type != nullptr ? type->name : "?");
}

std::string Type::ToString() const {
  std::string out = fmt::format("{} {} size={}", KindName(kind), name, size);
  if (kind == Kind::kArray) out += fmt::format(" len={}", array_length);
  if (key != nullptr) out += fmt::format(" key={}", key->name);
  if (elem != nullptr) out += fmt::format(" elem={}", elem->name);
  if (!fields.empty()) {
    out += " {";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += "; ";
      out += fields[i].ToString();
    }
    out += "}";
  }
  return out;
}

}  // namespace gotap::dwarf
