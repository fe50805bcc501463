#include "probe/type_arena.h"

#include <fmt/format.h>

#include <utility>

#include "gobin/type_layout.h"
#include "probe/value_shape.h"

namespace gotap::probe {
namespace {

using dwarf::Field;
using dwarf::Type;
using Kind = Type::Kind;

Type Make(Kind kind, std::string name, uint64_t size, const Type* elem = nullptr) {
  Type type;
  type.kind = kind;
  type.name = std::move(name);
  type.size = size;
  type.elem = elem;
  return type;
}

// An interface or string header: two words named `first` and `second`.
Type Header(Kind kind, std::string name, std::vector<Field> fields) {
  Type type = Make(kind, std::move(name), 2 * kPointerSize);
  type.fields = std::move(fields);
  // DW_AT_go_kind, so that these types read like DWARF's.
  if (kind != Kind::kString) type.go_kind = gobin::KindByte(gobin::GoKind::kInterface);
  return type;
}

std::string JoinNames(const std::vector<const Type*>& types) {
  std::string out;
  for (const Type* type : types) {
    if (!out.empty()) out += ", ";
    out += type->name;
  }
  return out;
}

}  // namespace

TypeArena::TypeArena() {
  auto scalar = [this](Kind kind, const char* name, uint64_t size) {
    named_[name] = Add(Make(kind, name, size));
  };
  scalar(Kind::kBool, "bool", 1);
  scalar(Kind::kInt, "int", 8);
  scalar(Kind::kInt, "int8", 1);
  scalar(Kind::kInt, "int16", 2);
  scalar(Kind::kInt, "int32", 4);
  scalar(Kind::kInt, "int64", 8);
  scalar(Kind::kUint, "uint", 8);
  scalar(Kind::kUint, "uint8", 1);
  scalar(Kind::kUint, "uint16", 2);
  scalar(Kind::kUint, "uint32", 4);
  scalar(Kind::kUint, "uint64", 8);
  scalar(Kind::kUintptr, "uintptr", 8);
  scalar(Kind::kFloat, "float32", 4);
  scalar(Kind::kFloat, "float64", 8);
  scalar(Kind::kComplex, "complex64", 8);
  scalar(Kind::kComplex, "complex128", 16);
  scalar(Kind::kUnsafePointer, "unsafe.Pointer", 8);
  named_["byte"] = named_.at("uint8");  // aliases: Go's DWARF spells them uint8 and int32
  named_["rune"] = named_.at("int32");

  const Type* int_type = named_.at("int");
  named_["string"] = Add(Header(Kind::kString, "string",
                                {{"str", 0, Pointer(named_.at("uint8"))}, {"len", 8, int_type}}));
  const Type* itab = Pointer(Opaque("runtime.itab"));
  for (const char* name : {"error", "context.Context"}) {
    named_[name] = Add(Header(Kind::kInterface, name,
                              {{"tab", 0, itab}, {"data", 8, named_.at("unsafe.Pointer")}}));
  }
  named_["any"] = Interface("");
}

const char* TypeArena::SupportedForms() {
  return "bool, int, int8..int64, uint, uint8..uint64, uintptr, byte, rune, float32, float64, "
         "complex64, complex128, string, error, any, interface{}, unsafe.Pointer, "
         "context.Context, *T, []T, [N]T, map[K]V, chan T, <-chan T, chan<- T, func(...) ..., "
         "struct{ a T; b U }, and any named type the binary has, by its package "
         "(main.Point, net/http.ResponseWriter, io.Writer)";
}

const Type* TypeArena::Named(std::string_view name) const {
  auto it = named_.find(name);
  return it == named_.end() ? nullptr : it->second;
}

const Type* TypeArena::Add(Type type) { return &types_.emplace_back(std::move(type)); }

const Type* TypeArena::Opaque(std::string name) {
  return Add(Make(Kind::kOther, std::move(name), 0));
}

const Type* TypeArena::Renamed(const Type* base, std::string name) {
  Type type = *base;
  type.name = std::move(name);
  return Add(std::move(type));
}

StatusOr<const Type*> TypeArena::LaidOutStruct(std::string name, uint64_t size,
                                               std::vector<Field> fields) {
  for (const Field& f : fields) {
    if (f.offset > size || f.type->size > size - f.offset) {
      return InvalidArgument("{}: field {} ({}, {} bytes at offset {}) lies outside its {} bytes",
                             name, f.name, f.type->name, f.type->size, f.offset, size);
    }
  }
  Type type = Make(Kind::kStruct, std::move(name), size);
  type.go_kind = gobin::KindByte(gobin::GoKind::kStruct);  // as DWARF says it
  type.fields = std::move(fields);
  return Add(std::move(type));
}

const Type* TypeArena::Pointer(const Type* elem) {
  return Add(Make(Kind::kPointer, "*" + elem->name, kPointerSize, elem));
}

const Type* TypeArena::Slice(const Type* elem) {
  const Type* int_type = named_.at("int");
  Type type = Make(Kind::kSlice, "[]" + elem->name, 3 * kPointerSize, elem);
  type.fields = {{"array", 0, Pointer(elem)}, {"len", 8, int_type}, {"cap", 16, int_type}};
  return Add(std::move(type));
}

StatusOr<const Type*> TypeArena::Array(uint64_t length, const Type* elem) {
  constexpr uint64_t kMaxBytes = uint64_t{1} << 40;
  if (elem->size != 0 && length > kMaxBytes / elem->size) {
    return InvalidArgument("array type [{}]{} is too large", length, elem->name);
  }
  Type type =
      Make(Kind::kArray, fmt::format("[{}]{}", length, elem->name), length * elem->size, elem);
  type.array_length = length;
  return Add(std::move(type));
}

const Type* TypeArena::Map(const Type* key, const Type* value) {
  Type type =
      Make(Kind::kMap, fmt::format("map[{}]{}", key->name, value->name), kPointerSize, value);
  type.key = key;
  return Add(std::move(type));
}

const Type* TypeArena::Chan(ChanDir dir, const Type* elem) {
  const char* prefix = dir == ChanDir::kBoth   ? "chan "
                       : dir == ChanDir::kRecv ? "<-chan "
                                               : "chan<- ";
  return Add(Make(Kind::kChan, prefix + elem->name, kPointerSize, elem));
}

const Type* TypeArena::Func(const std::vector<const Type*>& params,
                            const std::vector<const Type*>& results) {
  std::string name = fmt::format("func({})", JoinNames(params));
  if (results.size() == 1) {
    name += " " + results.front()->name;
  } else if (results.size() > 1) {
    name += fmt::format(" ({})", JoinNames(results));
  }
  return Add(Make(Kind::kFunc, std::move(name), kPointerSize));
}

const Type* TypeArena::Interface(std::string_view methods) {
  const Type* data = Named("unsafe.Pointer");
  if (methods.empty()) {
    return Add(Header(Kind::kEmptyInterface, "interface {}",
                      {{"_type", 0, Pointer(Opaque("runtime._type"))}, {"data", 8, data}}));
  }
  return Add(Header(Kind::kInterface, fmt::format("interface {{ {} }}", methods),
                    {{"tab", 0, Pointer(Opaque("runtime.itab"))}, {"data", 8, data}}));
}

StatusOr<const Type*> TypeArena::Struct(std::vector<Field> fields) {
  uint64_t offset = 0;
  uint64_t align = 1;
  std::string body;
  for (Field& field : fields) {
    RETURN_IF_ERROR(CheckShape(*field.type));
    uint64_t field_align = Alignment(*field.type);
    align = std::max(align, field_align);
    field.offset = AlignUp(offset, field_align);
    offset = field.offset + field.type->size;
    if (offset > uint64_t{1} << 40) return InvalidArgument("struct type is too large");
    body += fmt::format("{}{} {}", body.empty() ? "" : "; ", field.name, field.type->name);
  }
  if (offset > 0 && !fields.empty() && fields.back().type->size == 0) ++offset;
  Type type = Make(Kind::kStruct, body.empty() ? "struct {}" : fmt::format("struct {{ {} }}", body),
                   AlignUp(offset, align));
  type.fields = std::move(fields);
  return Add(std::move(type));
}

}  // namespace gotap::probe
