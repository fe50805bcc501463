// Field offsets of the Go runtime's own runtime.g and runtime.m, read from the runtime type
// descriptors that every Go binary keeps, stripped or not. Neither struct is reachable from the
// typelinks, but the runtime allocates each with new(T): runtime.malg does `new(g)` and
// runtime.allocm `new(m)` (`&new(mPadded).m` since Go 1.25), compiled as "address of
// type:runtime.g → runtime.newobject". The type
// is found among the addresses those functions compute and accepted only when its descriptor is
// a struct with that exact name, so a misread of the code cannot yield a wrong layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "gobin/rtype.h"

namespace gotap::gobin {

class Binary;

class RuntimeStructs {
 public:
  // Never fails as a whole: a struct that cannot be found makes its field lookups fail with the
  // reason (e.g. no runtime type data, runtime.malg missing or allocating no runtime.g).
  static RuntimeStructs Find(const Binary& binary);

  // The byte offset of the field at `path` in runtime.g / runtime.m; `path` names nested struct
  // fields with dots ("sched.sp", "stack.lo"). kNotFound when the struct or a field is missing.
  StatusOr<uint64_t> GField(std::string_view path) const { return Field(g_, path); }
  StatusOr<uint64_t> MField(std::string_view path) const { return Field(m_, path); }
  // Link-time vaddrs of the two type descriptors (errors as above).
  const StatusOr<uint64_t>& g_type() const { return g_; }
  const StatusOr<uint64_t>& m_type() const { return m_; }

 private:
  RuntimeStructs(StatusOr<RuntimeTypes> types, StatusOr<uint64_t> g, StatusOr<uint64_t> m)
      : types_(std::move(types)), g_(std::move(g)), m_(std::move(m)) {}
  StatusOr<uint64_t> Field(const StatusOr<uint64_t>& type, std::string_view path) const;

  StatusOr<RuntimeTypes> types_;
  StatusOr<uint64_t> g_, m_;
};

// The type named `type_name` that `function` allocates: the one struct descriptor of that name
// among the addresses the function's code computes pc-relatively, or embedded first in one of
// them (runtime.allocm allocates an mPadded{m; padding} since Go 1.25). kNotFound when the function
// or such a type is absent; kMalformed when two different descriptors carry the name.
StatusOr<uint64_t> FindAllocatedType(const Binary& binary, const RuntimeTypes& types,
                                     std::string_view function, std::string_view type_name);

// The offset of the field at dotted `path` inside the struct type at `struct_type`, following
// nested struct fields through their types; kNotFound when a name is missing or an inner name
// is not a struct, kMalformed when a descriptor cannot be read.
StatusOr<uint64_t> FieldOffset(const RuntimeTypes& types, uint64_t struct_type,
                               std::string_view path);

}  // namespace gotap::gobin
