// The layout of the Go runtime's type descriptors (runtime._type, internal/abi.Type since Go
// 1.21) and of an itab on 64-bit targets: the one place gotap writes these numbers down. The
// reader of type data (rtype.h), the type-link walk and every layer above take them from here,
// through gobin::RuntimeModel (runtime_model.h) or directly. go-internals.md §6.3.
#pragma once

#include <cstdint>

namespace gotap::gobin {

// Runtime kind numbers (low 5 bits of _type.kind), unchanged since Go 1.0.
enum class GoKind : uint8_t {
  kInvalid = 0,
  kBool = 1,
  kInt = 2,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUint,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kUintptr,
  kFloat32,
  kFloat64,
  kComplex64,
  kComplex128,
  kArray,
  kChan,
  kFunc,
  kInterface,
  kMap,
  kPointer,
  kSlice,
  kString,
  kStruct,
  kUnsafePointer = 26,
};

// The kind number as the byte _type.kind holds it (and as DWARF's DW_AT_go_kind says it).
constexpr uint8_t KindByte(GoKind kind) { return static_cast<uint8_t>(kind); }

// Byte offsets into a type descriptor, all from its start. The common header
// {size, ptrdata, hash, tflag, align, fieldAlign, kind, equal, gcdata, str, ptrToThis} has had
// this shape and size in every release gotap reads (Go 1.13 - 1.27); each kind's own struct
// follows it.
struct TypeDescriptorLayout {
  uint64_t header_size = 48;
  uint64_t size_at = 0;
  uint64_t tflag_at = 20;
  uint64_t kind_at = 23;
  uint64_t str_at = 40;          // nameOff from moduledata.types
  uint64_t ptr_to_this_at = 44;  // typeOff from moduledata.types; 0: none
  uint8_t kind_mask = 0x1f;
  // Go <= 1.25 flags a value stored directly in the interface data word in the kind byte, Go >=
  // 1.26 in tflag: the same bit, unused by the other field in either era.
  uint8_t kind_direct_iface = 1 << 5;
  uint8_t tflag_direct_iface = 1 << 5;
  uint8_t tflag_uncommon = 1 << 0;
  uint8_t tflag_extra_star = 1 << 1;  // the name has a '*' the type does not
  // Pointer, slice, array and chan types: elem *Type right after the header; map types: key
  // *Type, then elem *Type.
  uint64_t elem_at = header_size;
  uint64_t map_key_at = header_size;
  uint64_t map_elem_at = header_size + 8;
  uint64_t array_len_at = header_size + 16;  // after elem and slice *Type
  // structtype: pkgPath name, then fields []structField{name, typ, offset}; the uncommon type
  // follows (structtype is 80 bytes, ptrtype 56).
  uint64_t struct_fields_at = header_size + 8;
  uint64_t struct_field_size = 24;
  uint64_t struct_uncommon_at = header_size + 32;
  uint64_t ptr_uncommon_at = header_size + 8;
  // interfacetype: pkgPath name, then methods []imethod: their count.
  uint64_t interface_method_count_at = header_size + 16;
  // runtime.itab {inter *interfacetype, _type *_type, ...}.
  uint64_t itab_type_at = 8;
};

inline constexpr TypeDescriptorLayout kTypeDescriptor{};

}  // namespace gotap::gobin
