// What a trace needs to decode interface values of one binary: the recipes the BPF program
// follows (keyed by _type address) and a lookup from _type addresses to names,
// kinds and built-in shapes for decoding.
//
// Address space: every type address here (recipe keys, Lookup's argument) is a link-time vaddr.
// The BPF program turns the runtime addresses it meets into link-time ones (minus the load bias
// it learns from the probed pc, see gotap_site_spec.vaddr), so PIE targets need nothing more.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "decode/iface.h"
#include "gobin/binary.h"
#include "gobin/rtype.h"

namespace gotap::trace {

class IfaceTypes {
 public:
  // Reads the binary's type data; a binary without it yields a table that resolves nothing
  // (and says why in `note`). `binary` must outlive the result.
  // Recipes for the built-in shapes only (errors, contexts: a few lookups by name).
  static std::shared_ptr<IfaceTypes> Build(const gobin::Binary& binary, uint16_t string_length);
  // Adds recipes for the program's own struct types (see struct_recipes.h) in what the built-in
  // shapes leave of the map. It walks every linked type (~35 ms on esbuild), so the plan calls it
  // only when a traced value holds an interface. Call before Lookup; once is enough.
  void AddUserStructs(const gobin::Binary& binary, uint16_t string_length);

  // A typed walk (GOTAP_DEREF_TYPED) for a pointer to the type at `pointee_vaddr`: its root
  // index (the capture's len_slot), the same for the same type; its recipe key 1 + index is
  // added to recipes(), and AddUserStructs gives the pointee's struct type (and what its
  // pointer fields lead to) a recipe first. nullopt when the pointee is not walked (see
  // PointeeWalkType) or the GOTAP_IFACE_TYPED_ROOTS - 1 roots are taken.
  std::optional<uint8_t> TypedRoot(uint64_t pointee_vaddr);
  bool has_typed_roots() const { return !roots_.empty(); }

  // The type at a (link-time) _type address, resolved on first use (not thread-safe).
  const decode::IfaceType* Lookup(uint64_t type_vaddr) const;
  decode::TypeLookup AsLookup() const {
    return [this](uint64_t t) { return Lookup(t); };
  }

  const std::vector<std::pair<uint64_t, gotap_iface_recipe>>& recipes() const { return recipes_; }
  const std::string& note() const { return note_; }  // why types are not resolved, or ""
  bool resolves() const { return types_.has_value(); }
  // The program's own struct types (see struct_recipes.h) given a recipe, and those left
  // without one because the recipe map (GOTAP_IFACE_MAX_RECIPES) was full; those print as
  // their type name and address.
  size_t struct_recipes() const { return struct_shapes_.size(); }
  // Per type name, the values Lookup resolved to a struct (or pointer to one) without a recipe:
  // what a run printed by type and address only, for its summary.
  const std::map<std::string, uint64_t>& values_without_recipe() const {
    return values_without_recipe_;
  }
  size_t structs_without_recipe() const { return structs_left_out_; }

 private:
  IfaceTypes() = default;

  std::optional<gobin::RuntimeTypes> types_;
  std::vector<decode::ShapeRecipe> shapes_;
  std::deque<decode::ShapeRecipe> struct_shapes_;  // a deque: shape_at_ points into it
  size_t structs_left_out_ = 0;
  bool added_user_structs_ = false;
  std::map<uint64_t, const decode::ShapeRecipe*> shape_at_;  // link-time vaddr -> shape
  std::vector<std::pair<uint64_t, gotap_iface_recipe>> recipes_;
  std::vector<uint64_t> roots_;  // typed walk i's pointee type
  mutable std::map<uint64_t, std::unique_ptr<decode::IfaceType>> cache_;
  mutable std::map<std::string, uint64_t> values_without_recipe_;
  std::string note_;
};

// The vaddr of the pointer variable context.background (index 0) / context.todo (index 1) of
// Go <= 1.20: from the symbol table, else from context.(*emptyCtx).String, which compares its
// receiver with both variables, in this order, RIP-relative (x86-64). nullopt when neither works.
std::optional<uint64_t> FindEmptyCtxVar(const gobin::Binary& binary, int index);

}  // namespace gotap::trace
