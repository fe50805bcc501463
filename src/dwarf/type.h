// A small model of Go types as Go's compiler describes them in DWARF, enough to lay out and decode
// values passed with the Go register ABI.
//
// Go encodes strings, slices and interfaces as DW_TAG_structure_type and maps, channels, functions
// and interfaces as DW_TAG_typedef of a pointer or struct; the Go-specific attribute
// DW_AT_go_kind (the runtime's reflect kind) tells them apart. Typedefs are flattened: a Type built
// from a typedef carries the typedef's name and kind and the size and fields of what it names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gotap::dwarf {

// Go-specific DWARF attributes (Go's cmd/internal/dwarf).
inline constexpr unsigned kAttrGoKind = 0x2900;           // runtime kind, data1
inline constexpr unsigned kAttrGoKey = 0x2901;            // map key type, ref
inline constexpr unsigned kAttrGoElem = 0x2902;           // slice/chan/map element type, ref
inline constexpr unsigned kAttrGoEmbeddedField = 0x2903;  // struct member is embedded, flag
inline constexpr unsigned kAttrGoRuntimeType = 0x2904;    // runtime _type, DW_FORM_addr
inline constexpr unsigned kAttrGoDictIndex = 0x2906;      // ".paramN" typedef of a generic's shape

struct Type;

struct Field {
  std::string name;
  uint64_t offset = 0;         // byte offset from the start of the struct
  const Type* type = nullptr;  // never null (an unresolvable type is the arena's kOther type)
  bool embedded = false;       // Go embedded field (DW_AT_go_embedded_field)

  std::string ToString() const;
};

struct Type {
  enum class Kind {
    kOther,  // no Go kind and no recognisable DWARF shape (e.g. <unspecified>)
    kBool,
    kInt,   // int, int8 … int64 (size tells which)
    kUint,  // uint, uint8 … uint64
    kUintptr,
    kFloat,    // float32, float64
    kComplex,  // complex64, complex128
    kString,
    kSlice,
    kArray,
    kStruct,
    kPointer,
    kUnsafePointer,
    kInterface,       // non-empty interface (error, io.Reader): runtime.iface {tab, data}
    kEmptyInterface,  // interface{} / any: runtime.eface {_type, data}
    kMap,
    kChan,
    kFunc,
  };

  Kind kind = Kind::kOther;
  std::string name;   // Go's name, e.g. "int", "*main.Store", "[]uint8", "map[string]int"
  uint64_t size = 0;  // bytes; maps, chans and funcs are one pointer
  // kStruct (and kString/kSlice/kInterface/kEmptyInterface, whose DWARF is a struct): members in
  // declaration order.
  std::vector<Field> fields;
  // kPointer: the pointee; kSlice/kArray/kChan/kMap: the element (map value). Null iff not one of
  // those kinds or the DWARF does not say (unsafe.Pointer has none).
  const Type* elem = nullptr;
  const Type* key = nullptr;  // kMap: the key type; null otherwise or if unknown
  uint64_t array_length = 0;  // kArray: number of elements
  uint8_t go_kind = 0;        // raw DW_AT_go_kind (runtime kind 1..26), 0 if absent
  // Raw DW_AT_go_runtime_type (DW_FORM_addr), 0 if absent. Meant as the offset of the runtime
  // _type from moduledata.types (go-internals.md §6.3), but Go 1.19 writes a link-time vaddr for
  // some types (uintptr: 0x499c60 next to uint8: 0x7c20): check the range before using it.
  uint64_t runtime_type = 0;

  // The member called `name`, or nullptr.
  const Field* FindField(std::string_view name) const;
  // One line: kind, name, size and, for composites, element/fields by name (not recursively).
  std::string ToString() const;
};

// "struct", "int", "empty-interface", …; stable names for logs and tests.
const char* KindName(Type::Kind kind);

// The model kind for a runtime kind value (1 = Bool … 26 = UnsafePointer); kOther for anything
// else. Interface (20) maps to kInterface; the caller refines empty interfaces by layout.
Type::Kind KindFromGoKind(uint64_t go_kind);

}  // namespace gotap::dwarf
