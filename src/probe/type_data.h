// Go types by name from a binary's runtime type descriptors (which stripped binaries keep), as
// dwarf::Types: how a signature's named types (main.Point, io.Writer, net/http.Header) get the
// layout the binary itself has, field names, offsets and kinds, instead of one the user spells.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "dwarf/type.h"
#include "gobin/binary.h"
#include "gobin/rtype.h"
#include "probe/signature.h"
#include "probe/type_arena.h"

namespace gotap::probe {

class TypeData {
 public:
  // Indexes the types the binary links (typelinks, itabs and what their fields and pointers
  // reach). kNotFound when the binary has no type data (moduledata not found).
  static StatusOr<std::unique_ptr<TypeData>> Load(const gobin::Binary& binary);

  // The type a signature names: "main.Point", "io.Writer", or with its import path
  // "net/http.ResponseWriter" (the runtime names it http.ResponseWriter; the path picks among
  // packages of one name). Laid out in `arena`, struct fields as the descriptor says. kNotFound
  // names the nearest types the binary has; kInvalidArgument when the name is ambiguous.
  StatusOr<const dwarf::Type*> Find(const std::string& name, TypeArena& arena);

  // The link-time vaddr of the type's descriptor, by the same names and with the same errors as
  // Find (predeclared names such as "int" only when the binary links them).
  StatusOr<uint64_t> Resolve(const std::string& name) const;

  size_t indexed() const { return by_name_.size(); }

 private:
  explicit TypeData(gobin::RuntimeTypes types) : types_(std::move(types)) {}
  StatusOr<const dwarf::Type*> Convert(uint64_t vaddr, TypeArena& arena, int depth);

  gobin::RuntimeTypes types_;
  std::map<std::string, std::vector<uint64_t>> by_name_;  // runtime names: "http.Header"
  std::map<uint64_t, const dwarf::Type*> converted_;
};

// True when `signature` has a parameter or result whose type is a name without a layout (by
// value: TypeArena::Opaque), which LayOutNamedTypes must resolve.
bool HasUnresolvedTypes(const Signature& signature);

// `signature` with each by-value named type laid out from `types`; an error names the value
// ("parameter p: ...").
StatusOr<Signature> LayOutNamedTypes(const Signature& signature, TypeData& types, TypeArena& arena);

}  // namespace gotap::probe
