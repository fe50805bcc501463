// Go types written by the user in a probe signature, as the same dwarf::Type model that DWARF
// yields, so that ABI layout and decoding never care where a type came from.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dwarf/type.h"

namespace gotap::probe {

enum class ChanDir { kBoth, kRecv, kSend };  // chan T, <-chan T, chan<- T

// Owns every Type it hands out; pointers stay valid for the arena's lifetime. Types are named
// as Go's DWARF names them ("[]uint8", "map[string]int", "struct { x int8; y float32 }",
// "interface {}"), so that they read the same as DWARF-derived ones. Not copyable or movable
// (handed-out pointers would dangle); share it through a pointer.
class TypeArena {
 public:
  TypeArena();
  TypeArena(const TypeArena&) = delete;
  TypeArena& operator=(const TypeArena&) = delete;

  // A predeclared or well-known type by the name a signature uses: bool, int, int8 … int64, uint,
  // uint8 … uint64, uintptr, byte, rune, float32, float64, complex64, complex128, string, error,
  // any, unsafe.Pointer, context.Context. nullptr for any other name.
  const dwarf::Type* Named(std::string_view name) const;
  // The forms a signature accepts, for error messages.
  static const char* SupportedForms();

  // A named type that gotap knows nothing about (kOther, size 0). Behind a pointer, or as a
  // slice, map or channel element, it stays so; by value (a parameter or result) the plan lays
  // it out from the binary's type data (probe/type_data.h) before anything uses its size.
  const dwarf::Type* Opaque(std::string name);
  // True for the types Opaque makes: a name without a layout.
  static bool IsOpaque(const dwarf::Type& type) {
    return type.kind == dwarf::Type::Kind::kOther && type.size == 0;
  }

  // A copy of `base` (a predeclared type's shape) under another name: a named type such as
  // `type Celsius float64` or `type Writer interface{...}`.
  const dwarf::Type* Renamed(const dwarf::Type* base, std::string name);
  // A struct whose size and field offsets are known (from the binary's type data) rather than
  // computed. Fails if a field lies outside `size`.
  StatusOr<const dwarf::Type*> LaidOutStruct(std::string name, uint64_t size,
                                             std::vector<dwarf::Field> fields);

  const dwarf::Type* Pointer(const dwarf::Type* elem);
  const dwarf::Type* Slice(const dwarf::Type* elem);
  // Fails if length × element size is absurdly large.
  StatusOr<const dwarf::Type*> Array(uint64_t length, const dwarf::Type* elem);
  const dwarf::Type* Map(const dwarf::Type* key, const dwarf::Type* value);
  const dwarf::Type* Chan(ChanDir dir, const dwarf::Type* elem);
  // A func type: one pointer word. Parameter and result types only make up its name.
  const dwarf::Type* Func(const std::vector<const dwarf::Type*>& params,
                          const std::vector<const dwarf::Type*>& results);
  // interface{} when `methods` is empty, else a non-empty interface named "interface { <methods>
  // }".
  const dwarf::Type* Interface(std::string_view methods);
  // Lays the fields out as Go's compiler does (each at its alignment; a zero-size last field gets
  // a byte of padding; the size rounded up to the struct's alignment). Each field's offset is
  // ignored and overwritten. Fails if a field's type cannot be laid out (CheckShape).
  StatusOr<const dwarf::Type*> Struct(std::vector<dwarf::Field> fields);

 private:
  const dwarf::Type* Add(dwarf::Type type);

  std::deque<dwarf::Type> types_;
  std::map<std::string, const dwarf::Type*, std::less<>> named_;
};

}  // namespace gotap::probe
