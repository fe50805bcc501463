#include "gobin/runtime_structs.h"

#include <set>

#include "arch/pc_relative.h"
#include "gobin/binary.h"

namespace gotap::gobin {

namespace {

bool IsStructNamed(const RuntimeTypes& types, uint64_t vaddr, std::string_view name) {
  std::optional<RuntimeType> t = types.TypeAt(vaddr);
  return t && t->kind == GoKind::kStruct && t->name == name;
}

// The struct named `name` at `vaddr`, or embedded at offset 0 of the struct at `vaddr`: Go >= 1.25
// allocates `&new(mPadded).m`, where mPadded is {m; _ [n]byte} sized to a malloc size class.
std::optional<uint64_t> NamedStructAt(const RuntimeTypes& types, uint64_t vaddr,
                                      std::string_view name) {
  if (IsStructNamed(types, vaddr, name)) return vaddr;
  std::optional<std::vector<StructField>> fields = types.Fields(vaddr);
  if (!fields || fields->empty() || fields->front().offset != 0) return std::nullopt;
  if (IsStructNamed(types, fields->front().type, name)) return fields->front().type;
  return std::nullopt;
}

}  // namespace

StatusOr<uint64_t> FindAllocatedType(const Binary& binary, const RuntimeTypes& types,
                                     std::string_view function, std::string_view type_name) {
  auto funcs = binary.FindFunctions(function);
  if (funcs.empty()) return NotFound("{} not found", function);
  std::set<uint64_t> found;
  for (const FuncRecord* f : funcs) {
    std::optional<Bytes> code = binary.Code(*f);
    if (!code) continue;
    ASSIGN_OR_RETURN(std::vector<uint64_t> addresses,
                     arch::PcRelativeAddresses(binary.arch(), f->entry, *code));
    for (uint64_t vaddr : addresses) {
      if (auto named = NamedStructAt(types, vaddr, type_name)) found.insert(*named);
    }
  }
  if (found.empty()) return NotFound("{} allocates no {} (type data)", function, type_name);
  if (found.size() > 1) {
    return Malformed("{} refers to {} descriptors named {}", function, found.size(), type_name);
  }
  return *found.begin();
}

StatusOr<uint64_t> FieldOffset(const RuntimeTypes& types, uint64_t struct_type,
                               std::string_view path) {
  uint64_t type = struct_type, offset = 0;
  std::string_view rest = path;
  // Runtime structs nest a few levels at most (g.sched.sp); a longer path is not ours.
  for (int depth = 0; depth < 8; ++depth) {
    const size_t dot = rest.find('.');
    const std::string_view name = rest.substr(0, dot);
    std::optional<RuntimeType> t = types.TypeAt(type);
    if (!t) return Malformed("no readable type descriptor at {:#x}", type);
    if (t->kind != GoKind::kStruct) return NotFound("{}: {} is not a struct", path, t->name);
    std::optional<std::vector<StructField>> fields = types.Fields(type);
    if (!fields) return Malformed("struct {} at {:#x} has unreadable fields", t->name, type);
    const StructField* field = nullptr;
    for (const StructField& f : *fields) {
      if (f.name == name) {
        field = &f;
        break;
      }
    }
    if (field == nullptr) return NotFound("no field {} (type data)", path);
    offset += field->offset;
    if (dot == std::string_view::npos) return offset;
    rest = rest.substr(dot + 1);
    type = field->type;
  }
  return NotFound("field path {} nests too deeply", path);
}

RuntimeStructs RuntimeStructs::Find(const Binary& binary) {
  StatusOr<RuntimeTypes> types = RuntimeTypes::Load(binary);
  if (!types.ok()) {
    Status why = types.status().WithContext("runtime type data");
    return RuntimeStructs(std::move(types), why, why);
  }
  auto g = FindAllocatedType(binary, *types, "runtime.malg", "runtime.g");
  auto m = FindAllocatedType(binary, *types, "runtime.allocm", "runtime.m");
  return RuntimeStructs(std::move(types), std::move(g), std::move(m));
}

StatusOr<uint64_t> RuntimeStructs::Field(const StatusOr<uint64_t>& type,
                                         std::string_view path) const {
  if (!type.ok()) return type.status();
  return FieldOffset(*types_, *type, path);
}

}  // namespace gotap::gobin
