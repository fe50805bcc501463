// Internal: builds the Type arena of a DwarfData from Go's type DIEs.
//
// Loading is two-phase so that recursive types (a struct holding a pointer to itself) need no
// recursion: Add()/Ref() create a Type "shell" per DIE from its own attributes and remember the
// DIE offsets it refers to; Finish() resolves those offsets to arena pointers (loading any DIE not
// yet seen), then flattens typedefs into the types they name.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "dwarf/dwarf_data.h"

namespace gotap::dwarf {

class TypeBuilder {
 public:
  // `data` must outlive the builder; its arena gets the "<unknown>" type if empty.
  TypeBuilder(Dwarf* dwarf, DwarfData* data);

  // True for the DWARF tags that describe types (Go's and, in cgo binaries, C's).
  static bool IsTypeTag(int tag);

  // Loads a type DIE found at the top level of a Go compile unit; its name is preferred over
  // same-named types reached only through references (e.g. C's "int" in cgo binaries).
  void Add(Dwarf_Die* die);
  // The type the attribute `attr` (e.g. DW_AT_type) of `die` refers to, following
  // DW_AT_abstract_origin; the unknown type if absent or unresolvable. Never null. The entry is
  // a shell until Finish(); the pointer stays valid.
  const Type* RefOf(Dwarf_Die* die, unsigned attr);

  // Resolves every reference, flattens typedefs, folds aliases and fills types_by_name. Call
  // once, after the last Add/RefOf.
  void Finish();
  // After Finish(): the object that stands for `type`. Go names a struct twice, as the struct and
  // as a typedef of the same name that other DIEs refer to; such a typedef (and a C qualifier)
  // is an alias of what it names, so that every path to "main.Store" ends at one object. Types
  // handed out by RefOf before Finish() must be passed through this.
  const Type* Canonical(const Type* type) const;

 private:
  static constexpr size_t kNone = ~size_t{0};
  static constexpr Dwarf_Off kNoRef = ~Dwarf_Off{0};

  struct Pending {
    Type* type = nullptr;
    int tag = 0;
    bool preferred_name = false;  // added by Add(), not only reached through a reference
    bool has_go_kind = false;     // DW_AT_go_kind gave the kind
    bool has_size = false;
    Dwarf_Off target = kNoRef;  // DW_AT_type: pointee, array element, typedef target
    Dwarf_Off go_elem = kNoRef;
    Dwarf_Off go_key = kNoRef;
    std::vector<Dwarf_Off> member_refs;  // parallel to type->fields
    size_t typedef_target = kNone;       // index in pending_, for typedef-like tags
  };

  // Index in pending_ of the type DIE at `offset`, loading it on first use; kNone if the offset is
  // kNoRef or not a readable type DIE.
  size_t Load(Dwarf_Off offset);
  size_t LoadDie(Dwarf_Die* die);
  const Type* TypeAt(size_t index) const;
  void ReadShell(Dwarf_Die* die, Pending* pending);
  void ReadMembers(Dwarf_Die* die, Pending* pending);
  void ResolveRefs(size_t index);
  void FlattenTypedef(size_t index);
  void FoldAliases();

  Dwarf* dwarf_;
  DwarfData* data_;
  std::vector<Pending> pending_;
  std::unordered_map<Dwarf_Off, size_t> pending_by_offset_;    // DIE offset -> index in pending_
  std::unordered_map<const Type*, const Type*> alias_target_;  // alias -> canonical object
};

}  // namespace gotap::dwarf
