#include "trace/iface_types.h"

#include <algorithm>
#include <set>

#include "trace/struct_recipes.h"

namespace gotap::trace {
namespace {

constexpr uint16_t kErrorStringLength = 128;

}  // namespace

std::optional<uint64_t> FindEmptyCtxVar(const gobin::Binary& binary, int index) {
  const char* names[] = {"context.background", "context.todo"};
  if (index < 0 || index > 1) return std::nullopt;
  if (const elf::Symbol* sym = binary.elf().FindSymbol(names[index])) return sym->value;
  if (binary.arch() != arch::Arch::kX86_64) return std::nullopt;
  auto found = binary.FindFunctions("context.(*emptyCtx).String");
  if (found.empty()) return std::nullopt;
  auto code = binary.Code(*found.front());
  if (!code) return std::nullopt;
  // REX.W + cmp r/m64,r64 (39) / cmp r64,r/m64 (3b) / mov r64,r/m64 (8b) with a RIP-relative
  // operand (modrm mod=00 rm=101), then disp32: the variable is at next instruction + disp32.
  int seen = 0;
  for (size_t i = 0; i + 7 <= code->size(); ++i) {
    uint8_t op = (*code)[i + 1], modrm = (*code)[i + 2];
    if (((*code)[i] & 0xf8) != 0x48 || (op != 0x39 && op != 0x3b && op != 0x8b) ||
        (modrm & 0xc7) != 0x05) {
      continue;
    }
    if (seen++ != index) continue;
    int32_t disp =
        static_cast<int32_t>(uint32_t{(*code)[i + 3]} | uint32_t{(*code)[i + 4]} << 8 |
                             uint32_t{(*code)[i + 5]} << 16 | uint32_t{(*code)[i + 6]} << 24);
    return found.front()->entry + i + 7 + static_cast<uint64_t>(static_cast<int64_t>(disp));
  }
  return std::nullopt;
}

std::shared_ptr<IfaceTypes> IfaceTypes::Build(const gobin::Binary& binary, uint16_t string_length) {
  std::shared_ptr<IfaceTypes> t(new IfaceTypes());
  auto types = gobin::RuntimeTypes::Load(binary);
  if (!types.ok()) {
    t->note_ = "interface types are not decoded: " + types.status().message();
    return t;
  }
  t->types_.emplace(std::move(types).value());
  t->shapes_ = decode::BuiltinShapes(binary.go_major_minor());
  gotap_iface_recipe defaults{};
  defaults.str_max = string_length;
  t->recipes_.emplace_back(0, defaults);  // key 0: the string length of plain values
  std::set<std::string> names;
  for (const auto& s : t->shapes_) {
    names.insert(s.type_name);
    if (!s.child_ptr_type.empty()) names.insert(s.child_ptr_type);
  }
  std::map<std::string, uint64_t> found = t->types_->FindTypes(names);
  for (const auto& s : t->shapes_) {
    auto it = found.find(s.type_name);
    if (it == found.end()) continue;
    t->shape_at_[it->second] = &s;
    // Error messages are what users look for: they get at least kErrorStringLength bytes.
    uint64_t ptr_type = 0;
    if (auto p = found.find(s.child_ptr_type); p != found.end()) ptr_type = p->second;
    gotap_iface_recipe r = s.ToRecipe(
        decode::IsErrorShape(s.shape) ? std::max(string_length, kErrorStringLength) : string_length,
        ptr_type);
    for (size_t i = 0; i < s.ident_vars.size() && i < 2; ++i) {
      r.ident_vars[i] = FindEmptyCtxVar(binary, static_cast<int>(i)).value_or(0);
    }
    if (t->recipes_.size() < GOTAP_IFACE_MAX_RECIPES) t->recipes_.emplace_back(it->second, r);
  }
  return t;
}

void IfaceTypes::AddUserStructs(const gobin::Binary& binary, uint16_t string_length) {
  if (!types_ || added_user_structs_) return;
  added_user_structs_ = true;
  // The program's own structs fill what the built-in shapes leave of the recipe map.
  std::string main_module = binary.build_info() ? binary.build_info()->main_module.path : "";
  size_t room =
      GOTAP_IFACE_MAX_RECIPES - std::min<size_t>(recipes_.size(), GOTAP_IFACE_MAX_RECIPES);
  UserStructs user = FindUserStructs(*types_, main_module, room, roots_);
  structs_left_out_ = user.left_out;
  for (auto& [vaddr, recipe] : user.recipes) {
    if (shape_at_.count(vaddr)) continue;
    const decode::ShapeRecipe& s = struct_shapes_.emplace_back(std::move(recipe));
    shape_at_[vaddr] = &s;
    recipes_.emplace_back(vaddr, s.ToRecipe(string_length));
  }
}

std::optional<uint8_t> IfaceTypes::TypedRoot(uint64_t pointee_vaddr) {
  if (!types_) return std::nullopt;
  for (size_t i = 0; i < roots_.size(); ++i) {
    if (roots_[i] == pointee_vaddr) return static_cast<uint8_t>(i);
  }
  if (roots_.size() >= GOTAP_IFACE_TYPED_ROOTS - 1 || recipes_.size() >= GOTAP_IFACE_MAX_RECIPES ||
      !PointeeWalkType(*types_, pointee_vaddr)) {
    return std::nullopt;
  }
  gotap_iface_recipe root{};
  root.child_type[0] = pointee_vaddr;
  recipes_.emplace_back(1 + roots_.size(), root);
  roots_.push_back(pointee_vaddr);
  return static_cast<uint8_t>(roots_.size() - 1);
}

const decode::IfaceType* IfaceTypes::Lookup(uint64_t runtime_type) const {
  if (!types_) return nullptr;
  auto count = [this](const decode::IfaceType* t) {
    if (t->recipe == nullptr && t->struct_like) ++values_without_recipe_[t->name];
    return t;
  };
  auto it = cache_.find(runtime_type);
  if (it != cache_.end()) return count(it->second.get());
  std::unique_ptr<decode::IfaceType> resolved;
  if (auto t = types_->TypeAt(runtime_type)) {
    resolved = std::make_unique<decode::IfaceType>();
    resolved->name = t->name;
    resolved->kind = static_cast<uint8_t>(t->kind);
    resolved->size = t->size;
    resolved->direct = t->direct_iface;
    if (auto s = shape_at_.find(runtime_type); s != shape_at_.end()) {
      resolved->recipe = s->second;
    }
    auto target = t->kind == gobin::GoKind::kPointer && t->elem ? types_->TypeAt(*t->elem) : t;
    resolved->struct_like = target && target->kind == gobin::GoKind::kStruct && target->size > 0;
  }
  // Bounded: a long trace sees each dynamic type once; garbage addresses are not cached.
  if (!resolved) return nullptr;
  return count(cache_.emplace(runtime_type, std::move(resolved)).first->second.get());
}

}  // namespace gotap::trace
