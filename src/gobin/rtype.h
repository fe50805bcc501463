// Reading Go's runtime type descriptors (runtime._type / internal/abi.Type) from the file, also
// in stripped binaries: a type's name, kind and size at its address, and the addresses of types
// by name. go-internals.md §6.
//
// Address space: every address here is a link-time vaddr. For a PIE process the caller
// subtracts the load bias from a runtime type address before asking, and adds it to the
// addresses FindTypes returns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/byte_reader.h"
#include "elf/elf_file.h"
#include "gobin/moduledata.h"
#include "gobin/type_layout.h"

namespace gotap::gobin {

class Binary;

struct RuntimeType {
  uint64_t vaddr = 0;
  std::string name;  // "*context.cancelCtx", "main.ctxKey", "string"
  GoKind kind = GoKind::kInvalid;
  bool direct_iface = false;  // the interface data word holds the value itself
  uint64_t size = 0;
  uint8_t tflag = 0;
  std::optional<uint64_t> elem;  // kPointer: the pointee's _type
};

struct StructField {
  std::string name;
  uint64_t type = 0;  // link-time vaddr of the field's _type
  uint64_t offset = 0;
};

// Decodes a runtime name (§6.3 step 2) at the start of `at`: flags byte, then the length as a
// uvarint (Go >= 1.17) or as 2 big-endian bytes (older), then the bytes. nullopt if it does not
// fit in `at`.
std::optional<std::string> DecodeRuntimeName(Bytes at, bool varint_length);

class RuntimeTypes {
 public:
  // Needs moduledata (types base); kNotFound when it cannot be located.
  static StatusOr<RuntimeTypes> Load(const Binary& binary);
  // For tests: the pieces Load finds. `go_minor` picks the name encoding (1.x); `runs` is
  // moduledata's Go 1.27 description of where the linked types and itabs are (absent: the
  // .typelink/.itablink sections list them).
  RuntimeTypes(const elf::ElfFile& elf, uint64_t types, uint64_t etypes, int go_minor,
               std::optional<TypeDescriptorRuns> runs = std::nullopt)
      : elf_(&elf), types_(types), etypes_(etypes), go_minor_(go_minor), runs_(runs) {}

  // The type whose descriptor starts at `vaddr`; nullopt when vaddr is outside [types, etypes)
  // or its bytes are malformed.
  std::optional<RuntimeType> TypeAt(uint64_t vaddr) const;
  // The fields of a struct type (kStruct), in order; nullopt if it is not one or is malformed.
  std::optional<std::vector<StructField>> Fields(uint64_t vaddr) const;
  // The _type an itab at `itab_vaddr` is for (itab+8).
  std::optional<uint64_t> ItabType(uint64_t itab_vaddr) const;

  // The addresses of the types named in `names`, found among the typelinks, the itabs'
  // concrete types and the pointees of both (a named struct T is found through *T). Names not
  // found are absent from the result.
  std::map<std::string, uint64_t> FindTypes(const std::set<std::string>& names) const;

  // --- Additions for recipes of the program's own types (struct values behind interfaces).

  // The import path of a named struct or pointer type's package ("main", "net",
  // "gotap.test/fixtures/x"), from its uncommon type (tflag bit 0); nullopt for unnamed types,
  // other kinds, or malformed bytes.
  std::optional<std::string> PkgPath(uint64_t vaddr) const;
  // The number of methods of an interface type (0: `any`); nullopt if not an interface.
  std::optional<uint64_t> InterfaceMethodCount(uint64_t vaddr) const;
  // The *T of a type T (_type.ptrToThis), when the binary has one.
  std::optional<uint64_t> PtrToThis(uint64_t vaddr) const;
  // {interface type, concrete type} of every itab in .itablink.
  std::vector<std::pair<uint64_t, uint64_t>> Itabs() const;
  // The types reachable from the typelinks and the itabs' concrete types, following pointer
  // elems, ptrToThis and struct fields; breadth first, at most `limit` of them.
  std::vector<uint64_t> LinkedTypes(size_t limit) const;

  // --- Composite types' parts, for laying out named types (probe/type_data).

  // The element type of a pointer, slice, array or channel type, and a map's value type.
  std::optional<uint64_t> Elem(uint64_t vaddr) const;
  // A map type's key type.
  std::optional<uint64_t> MapKey(uint64_t vaddr) const;
  // An array type's length.
  std::optional<uint64_t> ArrayLength(uint64_t vaddr) const;

  uint64_t types() const { return types_; }
  uint64_t etypes() const { return etypes_; }

  // The types the runtime lists for reflect (typelinks): the .typelink section's offsets, or
  // in Go 1.27 the descriptors laid end to end in the first run. In file order; a walk that
  // meets a malformed descriptor stops there.
  std::vector<uint64_t> TypelinkTypes() const;
  // The addresses of the itabs the linker built: the .itablink section's pointers, or in Go
  // 1.27 the itabs laid end to end in their run.
  std::vector<uint64_t> ItabAddresses() const;
  // Go 1.27's abi.(*Type).DescriptorSize: the bytes the descriptor at `vaddr` takes up to the
  // next one (kind struct, uncommon type, trailing arrays, methods); nullopt if malformed.
  std::optional<uint64_t> DescriptorSize(uint64_t vaddr) const;

 private:
  const elf::ElfFile* elf_;  // never null
  uint64_t types_, etypes_;
  int go_minor_;
  std::optional<TypeDescriptorRuns> runs_;
};

}  // namespace gotap::gobin
