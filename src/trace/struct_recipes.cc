#include "trace/struct_recipes.h"

#include <algorithm>
#include <set>

namespace gotap::trace {

std::optional<uint64_t> PointeeWalkType(const gobin::RuntimeTypes& types, uint64_t pointee) {
  using gobin::GoKind;
  auto t = types.TypeAt(pointee);
  if (!t || t->direct_iface || t->size == 0) return std::nullopt;
  bool plain =
      (t->kind >= GoKind::kBool && t->kind <= GoKind::kComplex128) || t->kind == GoKind::kString;
  if (t->kind != GoKind::kStruct && !plain) return std::nullopt;
  return pointee;
}

namespace {

using gobin::GoKind;

constexpr int kMaxNesting = 3;              // nested struct fields laid out below the top one
constexpr size_t kMaxTypesWalked = 200000;  // bounds the walk of a huge binary's type data
constexpr size_t kMaxReachable = 256;       // structs reached from the traced values' pointers

struct Builder {
  const gobin::RuntimeTypes& types;
  decode::ShapeRecipe* recipe;

  // Appends the fields of the struct at `vaddr`, placed at `base` in the copy.
  void AddFields(uint64_t vaddr, uint64_t base, int depth, std::vector<decode::RecipeField>* out) {
    auto fields = types.Fields(vaddr);
    if (!fields) return;
    for (const gobin::StructField& sf : *fields) {
      decode::RecipeField f;
      f.name = sf.name;
      f.offset = base + sf.offset;
      auto t = types.TypeAt(sf.type);
      if (t) {
        f.type_name = t->name;
        f.kind = static_cast<uint8_t>(t->kind);
        f.size = t->size;
      } else {
        f.type_name = "?";
      }
      bool copied = f.offset <= recipe->copy_len && recipe->copy_len - f.offset >= f.size;
      if (t && copied && t->kind == GoKind::kString &&
          recipe->strings.size() < GOTAP_IFACE_MAX_STRINGS) {
        f.string_index = static_cast<int>(recipe->strings.size());
        recipe->strings.push_back(static_cast<uint16_t>(f.offset));
      }
      if (t && copied && t->kind == GoKind::kInterface && t->size == 16 &&
          recipe->children.size() < GOTAP_IFACE_MAX_CHILDREN) {
        f.child_index = static_cast<int>(recipe->children.size());
        if (types.InterfaceMethodCount(sf.type).value_or(1) == 0) {
          recipe->child_eface |= static_cast<uint8_t>(1u << f.child_index);
        }
        recipe->children.push_back(static_cast<uint16_t>(f.offset));
        recipe->child_types.push_back(0);
      }
      // A pointer field is followed: walked as its pointee's type T, whose node the data word
      // points to (PointeeWalkType).
      if (t && copied && t->kind == GoKind::kPointer && t->size == 8 && t->elem &&
          recipe->children.size() < GOTAP_IFACE_MAX_CHILDREN) {
        if (auto pointee = PointeeWalkType(types, *t->elem)) {
          f.child_index = static_cast<int>(recipe->children.size());
          recipe->child_ptr |= static_cast<uint8_t>(1u << f.child_index);
          recipe->children.push_back(static_cast<uint16_t>(f.offset));
          recipe->child_types.push_back(*pointee);
        }
      }
      if (t && t->kind == GoKind::kStruct && depth < kMaxNesting) {
        AddFields(sf.type, f.offset, depth + 1, &f.fields);
      }
      out->push_back(std::move(f));
    }
  }
};

// Whether the struct at `vaddr` holds an OpenTelemetry SpanContext (the SDK's spans do): decode
// joins gotap's spans to the program's traces through these, so they must get a recipe.
bool HoldsOtelSpanContext(const gobin::RuntimeTypes& types, uint64_t vaddr) {
  auto fields = types.Fields(vaddr);
  if (!fields) return false;
  return std::any_of(fields->begin(), fields->end(), [&](const gobin::StructField& f) {
    auto t = types.TypeAt(f.type);
    return t && t->kind == GoKind::kStruct && t->name == "trace.SpanContext" &&
           types.PkgPath(f.type) == "go.opentelemetry.io/otel/trace";
  });
}

}  // namespace

bool IsUserPackage(std::string_view pkg, std::string_view main_module) {
  // "go.shape": the compiler's stand-ins for generic type arguments, not the program's types.
  if (pkg.empty() || pkg == "go.shape") return false;
  if (pkg == "main") return true;
  if (!main_module.empty() && pkg.starts_with(main_module) &&
      (pkg.size() == main_module.size() || pkg[main_module.size()] == '/')) {
    return true;
  }
  std::string_view first = pkg.substr(0, pkg.find('/'));
  return first.find('.') != std::string_view::npos;
}

std::optional<decode::ShapeRecipe> StructRecipe(const gobin::RuntimeTypes& types,
                                                uint64_t struct_vaddr, std::string type_name) {
  auto t = types.TypeAt(struct_vaddr);
  if (!t || t->kind != GoKind::kStruct || !types.Fields(struct_vaddr)) return std::nullopt;
  decode::ShapeRecipe r;
  r.shape = decode::Shape::kStruct;
  r.type_name = std::move(type_name);
  r.struct_size = t->size;
  r.copy_len = static_cast<uint16_t>(std::min<uint64_t>(t->size, GOTAP_IFACE_MAX_COPY));
  Builder{types, &r}.AddFields(struct_vaddr, 0, 0, &r.fields);
  return r;
}

UserStructs FindUserStructs(const gobin::RuntimeTypes& types, std::string_view main_module,
                            size_t cap, const std::vector<uint64_t>& roots) {
  // Candidates in order of preference; each a dynamic type and the struct it holds. Tier 0:
  // the pointees of the traced values and the structs their pointer fields lead to, whatever
  // their package; tier 1: OpenTelemetry spans (a handful of types, see HoldsOtelSpanContext),
  // wherever found.
  std::vector<std::pair<uint64_t, uint64_t>> ordered[5];
  std::set<uint64_t> queued;
  std::vector<uint64_t> reach(roots.begin(), roots.end());
  for (size_t i = 0; i < reach.size() && i < kMaxReachable; ++i) {
    uint64_t vaddr = reach[i];
    auto t = types.TypeAt(vaddr);
    if (!t || t->kind != GoKind::kStruct || t->direct_iface || !queued.insert(vaddr).second) {
      continue;
    }
    ordered[0].emplace_back(vaddr, vaddr);
    for (const gobin::StructField& f :
         types.Fields(vaddr).value_or(std::vector<gobin::StructField>{})) {
      auto ft = types.TypeAt(f.type);
      if (ft && ft->kind == GoKind::kStruct) reach.push_back(f.type);  // fields' own pointers
      if (ft && ft->kind == GoKind::kPointer && ft->elem) reach.push_back(*ft->elem);
    }
  }
  auto consider = [&](uint64_t vaddr, int tier) {
    if (queued.count(vaddr)) return;
    auto t = types.TypeAt(vaddr);
    if (!t) return;
    uint64_t target = vaddr;
    if (t->kind == GoKind::kPointer) {
      if (!t->elem) return;
      target = *t->elem;
    } else if (t->direct_iface) {
      return;  // the data word is the value itself: nothing behind it to copy
    }
    auto s = types.TypeAt(target);
    if (!s || s->kind != GoKind::kStruct) return;
    auto pkg = types.PkgPath(target);
    if (!pkg || !IsUserPackage(*pkg, main_module)) return;
    queued.insert(vaddr);
    ordered[HoldsOtelSpanContext(types, target) ? 1 : tier].emplace_back(vaddr, target);
  };
  auto itabs = types.Itabs();
  for (const auto& [inter, type] : itabs) {
    auto i = types.TypeAt(inter);
    if (i && i->name == "error") consider(type, 2);
  }
  for (const auto& [inter, type] : itabs) consider(type, 3);
  for (uint64_t vaddr : types.LinkedTypes(kMaxTypesWalked)) {
    consider(vaddr, 4);
    // A struct value T found alone (say, as a field) is also boxed through *T.
    if (auto p = types.PtrToThis(vaddr)) consider(*p, 4);
  }
  UserStructs out;
  for (const auto& tier : ordered) {
    for (const auto& [dynamic, target] : tier) {
      if (out.recipes.size() >= cap) {
        ++out.left_out;
        continue;
      }
      auto t = types.TypeAt(dynamic);
      if (auto r = StructRecipe(types, target, t ? t->name : "?")) {
        out.recipes.emplace_back(dynamic, std::move(*r));
      }
    }
  }
  return out;
}

}  // namespace gotap::trace
