#include "probe/type_data.h"

#include <fmt/format.h>

#include <set>
#include <string_view>

#include "base/glob.h"

namespace gotap::probe {
namespace {

using dwarf::Type;
using gobin::GoKind;

// Types indexed at most (a large server links tens of thousands).
constexpr size_t kMaxIndexedTypes = 400000;
// Struct fields nest at most this deep by value; deeper ones are kept by name (opaque).
constexpr int kMaxDepth = 12;

// The predeclared type a scalar kind is, by its size where the kind leaves it open.
const char* ScalarName(GoKind kind) {
  switch (kind) {
    case GoKind::kBool:
      return "bool";
    case GoKind::kInt:
      return "int";
    case GoKind::kInt8:
      return "int8";
    case GoKind::kInt16:
      return "int16";
    case GoKind::kInt32:
      return "int32";
    case GoKind::kInt64:
      return "int64";
    case GoKind::kUint:
      return "uint";
    case GoKind::kUint8:
      return "uint8";
    case GoKind::kUint16:
      return "uint16";
    case GoKind::kUint32:
      return "uint32";
    case GoKind::kUint64:
      return "uint64";
    case GoKind::kUintptr:
      return "uintptr";
    case GoKind::kFloat32:
      return "float32";
    case GoKind::kFloat64:
      return "float64";
    case GoKind::kComplex64:
      return "complex64";
    case GoKind::kComplex128:
      return "complex128";
    case GoKind::kString:
      return "string";
    case GoKind::kUnsafePointer:
      return "unsafe.Pointer";
    default:
      return nullptr;
  }
}

// "net/http.ResponseWriter" -> {"net/http", "http.ResponseWriter"}; "main.Point" -> {"",
// "main.Point"} (no path given: any package of that name).
std::pair<std::string, std::string> SplitImportPath(const std::string& name) {
  size_t slash = name.rfind('/');
  if (slash == std::string::npos) return {"", name};
  size_t dot = name.find('.', slash);
  return {name.substr(0, dot), name.substr(slash + 1)};
}

}  // namespace

StatusOr<std::unique_ptr<TypeData>> TypeData::Load(const gobin::Binary& binary) {
  ASSIGN_OR_RETURN(gobin::RuntimeTypes types, gobin::RuntimeTypes::Load(binary));
  std::unique_ptr<TypeData> data(new TypeData(std::move(types)));
  std::set<uint64_t> seen;
  auto index = [&](uint64_t vaddr) {
    if (!seen.insert(vaddr).second) return;
    if (auto t = data->types_.TypeAt(vaddr)) data->by_name_[t->name].push_back(vaddr);
  };
  for (uint64_t vaddr : data->types_.LinkedTypes(kMaxIndexedTypes)) index(vaddr);
  // Interfaces are reached through the itabs that implement them.
  for (const auto& [inter, concrete] : data->types_.Itabs()) index(inter);
  return data;
}

StatusOr<const Type*> TypeData::Find(const std::string& name, TypeArena& arena) {
  if (const Type* predeclared = arena.Named(name)) return predeclared;
  ASSIGN_OR_RETURN(uint64_t vaddr, Resolve(name));
  return Convert(vaddr, arena, 0);
}

StatusOr<uint64_t> TypeData::Resolve(const std::string& name) const {
  const auto [path, runtime_name] = SplitImportPath(name);
  auto it = by_name_.find(runtime_name);
  if (it == by_name_.end()) {
    std::vector<std::string_view> names;
    names.reserve(by_name_.size());
    for (const auto& [n, vaddrs] : by_name_) names.push_back(n);
    std::string nearest;
    for (const std::string& n : NearestNames(runtime_name, names)) {
      nearest += (nearest.empty() ? "; nearest: " : ", ") + n;
    }
    return NotFound(
        "type {} is not in the binary's type data (a type the program never converts to an "
        "interface may have no descriptor: write its underlying type instead){}",
        name, nearest);
  }
  std::vector<uint64_t> candidates;
  for (uint64_t vaddr : it->second) {
    auto pkg = types_.PkgPath(vaddr);
    if (path.empty() || !pkg || *pkg == path) candidates.push_back(vaddr);
  }
  if (candidates.empty()) {
    return NotFound("type {} is not in the binary's type data ({} is from another package)", name,
                    runtime_name);
  }
  if (candidates.size() > 1) {
    std::set<std::string> packages;
    for (uint64_t vaddr : candidates) packages.insert(types_.PkgPath(vaddr).value_or("?"));
    if (packages.size() > 1) {
      std::string list;
      for (const std::string& p : packages) list += (list.empty() ? "" : ", ") + p;
      return InvalidArgument("type {} is ambiguous: packages {} have it; write its import path",
                             name, list);
    }
  }
  return candidates.front();
}

StatusOr<const Type*> TypeData::Convert(uint64_t vaddr, TypeArena& arena, int depth) {
  if (auto done = converted_.find(vaddr); done != converted_.end()) return done->second;
  auto t = types_.TypeAt(vaddr);
  if (!t) return Malformed("type descriptor at {:#x} is unreadable", vaddr);
  auto named = [&](const Type* shape) {
    return shape->name == t->name ? shape : arena.Renamed(shape, t->name);
  };
  // A part's type by name only (behind a pointer, or too deep to lay out).
  auto opaque_at = [&](std::optional<uint64_t> part) {
    auto pt = part ? types_.TypeAt(*part) : std::nullopt;
    if (pt) {
      if (const Type* predeclared = arena.Named(pt->name)) return predeclared;
    }
    return arena.Opaque(pt ? pt->name : "?");
  };
  const Type* out = nullptr;
  if (const char* scalar = ScalarName(t->kind)) {
    out = named(arena.Named(scalar));
  } else {
    switch (t->kind) {
      case GoKind::kInterface: {
        auto methods = types_.InterfaceMethodCount(vaddr);
        if (t->name == "error") {
          out = arena.Named("error");
        } else if (methods && *methods == 0) {
          out = named(arena.Named("any"));
        } else {
          out = arena.Renamed(arena.Interface(t->name), t->name);
        }
        break;
      }
      case GoKind::kPointer:
        out = named(arena.Pointer(opaque_at(types_.Elem(vaddr))));
        break;
      case GoKind::kSlice:
        out = named(arena.Slice(opaque_at(types_.Elem(vaddr))));
        break;
      case GoKind::kMap:
        out = named(arena.Map(opaque_at(types_.MapKey(vaddr)), opaque_at(types_.Elem(vaddr))));
        break;
      case GoKind::kChan:
        out = named(arena.Chan(ChanDir::kBoth, opaque_at(types_.Elem(vaddr))));
        break;
      case GoKind::kFunc:
        out = named(arena.Func({}, {}));
        break;
      case GoKind::kArray: {
        auto elem = types_.Elem(vaddr);
        auto length = types_.ArrayLength(vaddr);
        if (!elem || !length) return Malformed("array type {} is unreadable", t->name);
        ASSIGN_OR_RETURN(const Type* elem_type, Convert(*elem, arena, depth + 1));
        ASSIGN_OR_RETURN(const Type* array, arena.Array(*length, elem_type));
        out = named(array);
        break;
      }
      case GoKind::kStruct: {
        if (depth > kMaxDepth) return InvalidArgument("{} nests too deeply to lay out", t->name);
        auto fields = types_.Fields(vaddr);
        if (!fields) return Malformed("struct type {} is unreadable", t->name);
        std::vector<dwarf::Field> laid_out;
        for (const gobin::StructField& f : *fields) {
          ASSIGN_OR_RETURN(const Type* field_type, Convert(f.type, arena, depth + 1));
          laid_out.push_back(dwarf::Field{f.name, f.offset, field_type, false});
        }
        ASSIGN_OR_RETURN(out, arena.LaidOutStruct(t->name, t->size, std::move(laid_out)));
        break;
      }
      default:
        return Unsupported("type {} has kind {} that gotap cannot lay out", t->name,
                           static_cast<int>(t->kind));
    }
  }
  if (out->size != t->size) {
    return Malformed("type {}: laid out as {} bytes, its descriptor says {}", t->name, out->size,
                     t->size);
  }
  converted_[vaddr] = out;
  return out;
}

bool HasUnresolvedTypes(const Signature& signature) {
  for (const auto* list : {&signature.params, &signature.results}) {
    for (const Value& v : *list) {
      if (TypeArena::IsOpaque(*v.type)) return true;
    }
  }
  return false;
}

StatusOr<Signature> LayOutNamedTypes(const Signature& signature, TypeData& types,
                                     TypeArena& arena) {
  Signature out = signature;
  for (auto* list : {&out.params, &out.results}) {
    const bool params = list == &out.params;
    for (Value& v : *list) {
      if (!TypeArena::IsOpaque(*v.type)) continue;
      auto laid_out = types.Find(v.type->name, arena);
      if (!laid_out.ok()) {
        return laid_out.status().WithContext(
            fmt::format("{} {}", params ? "parameter" : "result", v.name));
      }
      v.type = *laid_out;
    }
  }
  return out;
}

}  // namespace gotap::probe
