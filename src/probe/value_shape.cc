#include "probe/value_shape.h"

#include <algorithm>

namespace gotap::probe {
namespace {

using Kind = dwarf::Type::Kind;

constexpr int kMaxDepth = 32;
constexpr uint64_t kMaxNodes = 100'000;
// Larger than any value a Go program can pass, small enough that sums never overflow.
constexpr uint64_t kMaxSize = uint64_t{1} << 40;

std::string Describe(const dwarf::Type& type) {
  return type.name.empty() ? std::string(dwarf::KindName(type.kind)) : type.name;
}

// The only sizes Go uses for each scalar or header kind; 0 for kinds without a fixed set.
bool SizeFitsKind(const dwarf::Type& type) {
  switch (type.kind) {
    case Kind::kBool:
      return type.size == 1;
    case Kind::kInt:
    case Kind::kUint:
      return type.size == 1 || type.size == 2 || type.size == 4 || type.size == 8;
    case Kind::kFloat:
      return type.size == 4 || type.size == 8;
    case Kind::kComplex:
      return type.size == 8 || type.size == 16;
    case Kind::kUintptr:
    case Kind::kPointer:
    case Kind::kUnsafePointer:
    case Kind::kMap:
    case Kind::kChan:
    case Kind::kFunc:
      return type.size == kPointerSize;
    case Kind::kString:
    case Kind::kInterface:
    case Kind::kEmptyInterface:
      return type.size == 2 * kPointerSize;
    case Kind::kSlice:
      return type.size == 3 * kPointerSize;
    case Kind::kArray:
    case Kind::kStruct:
    case Kind::kOther:
      return true;
  }
  return false;
}

class ShapeChecker {
 public:
  Status Check(const dwarf::Type& type, int depth) {
    if (++nodes_ > kMaxNodes) {
      return Malformed("type {} has more than {} parts", Describe(type), kMaxNodes);
    }
    if (depth > kMaxDepth) {
      return Malformed("type {} nests deeper than {} levels", Describe(type), kMaxDepth);
    }
    if (type.kind == Kind::kOther) {
      return Unsupported("type {} has no Go kind that gotap can lay out", Describe(type));
    }
    if (type.size > kMaxSize || !SizeFitsKind(type)) {
      return Malformed("type {} ({}) has an impossible size of {} bytes", Describe(type),
                       dwarf::KindName(type.kind), type.size);
    }
    if (type.kind == Kind::kArray) return CheckArray(type, depth);
    if (type.kind == Kind::kStruct) return CheckStruct(type, depth);
    return Status::Ok();
  }

 private:
  Status CheckArray(const dwarf::Type& type, int depth) {
    if (type.elem == nullptr) {
      if (type.size == 0) return Status::Ok();  // [0]T whose element DWARF left out
      return Malformed("array type {} has no element type", Describe(type));
    }
    RETURN_IF_ERROR(Check(*type.elem, depth + 1));
    // Both factors are <= 2^40 only for the element; the length is untrusted: divide instead.
    bool consistent = type.elem->size == 0 ? type.size == 0
                                           : type.size % type.elem->size == 0 &&
                                                 type.size / type.elem->size == type.array_length;
    if (!consistent) {
      return Malformed("array type {} has {} bytes for {} elements of {} bytes", Describe(type),
                       type.size, type.array_length, type.elem->size);
    }
    return Status::Ok();
  }

  Status CheckStruct(const dwarf::Type& type, int depth) {
    uint64_t end = 0;  // one past the previous field's bytes
    for (const dwarf::Field& field : type.fields) {
      if (field.type == nullptr) {
        return Malformed("field {} of {} has no type", field.name, Describe(type));
      }
      RETURN_IF_ERROR(Check(*field.type, depth + 1));
      if (field.offset < end || field.offset > type.size ||
          field.type->size > type.size - field.offset) {
        return Malformed("field {} of struct {} at offset {} ({} bytes) does not fit", field.name,
                         Describe(type), field.offset, field.type->size);
      }
      end = field.offset + field.type->size;
    }
    return Status::Ok();
  }

  uint64_t nodes_ = 0;
};

}  // namespace

Status CheckShape(const dwarf::Type& type) { return ShapeChecker().Check(type, 0); }

uint64_t Alignment(const dwarf::Type& type) {
  switch (type.kind) {
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kUint:
    case Kind::kFloat:
      return std::max<uint64_t>(type.size, 1);
    case Kind::kComplex:
      return type.size / 2;  // aligned like its float parts
    case Kind::kArray:
      return type.elem != nullptr ? Alignment(*type.elem) : 1;
    case Kind::kStruct: {
      uint64_t align = 1;
      for (const dwarf::Field& field : type.fields) {
        align = std::max(align, Alignment(*field.type));
      }
      return align;
    }
    case Kind::kOther:
      return 1;
    default:
      return kPointerSize;  // pointers and the pointer-word headers (string, slice, interface)
  }
}

}  // namespace gotap::probe
