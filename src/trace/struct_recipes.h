// Recipes for the program's own struct types behind interfaces (decode::Shape::kStruct): which
// types get one, and the layout of each, read from the runtime type data (which survives
// stripping): copy the struct (up to GOTAP_IFACE_MAX_COPY bytes), follow its first
// GOTAP_IFACE_MAX_STRINGS string fields and walk its first GOTAP_IFACE_MAX_CHILDREN interface
// and pointer fields (a custom error's wrapped error, an `any` field, a *url.URL), the pointers
// as their pointee's type (PointeeWalkType).
//
// Address space: type addresses are link-time vaddrs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decode/iface.h"
#include "gobin/rtype.h"

namespace gotap::trace {

// Whether a package import path is the program's own rather than the standard library's:
// "main", the main module or below it, or any path whose first element has a dot
// ("github.com/…"), as the go command tells them apart; never "go.shape".
bool IsUserPackage(std::string_view pkg_path, std::string_view main_module);

// The recipe for values of the struct type at `struct_vaddr` held behind an interface, either
// by value or through a pointer: `type_name` is the name of the dynamic type ("main.T" or
// "*main.T"). nullopt when `struct_vaddr` is not a readable struct type.
std::optional<decode::ShapeRecipe> StructRecipe(const gobin::RuntimeTypes& types,
                                                uint64_t struct_vaddr, std::string type_name);

struct UserStructs {
  std::vector<std::pair<uint64_t, decode::ShapeRecipe>> recipes;  // dynamic type -> recipe
  size_t left_out = 0;  // the program's own struct types without a recipe (over `cap`)
};

// Recipes for the dynamic types T and *T of the program's own named struct types found in
// the type data (typelinks, itabs and what they lead to), at most `cap` of them: first the
// struct types in `roots` (the pointees of traced pointers) and those their fields' pointers
// lead to, of any package; then OpenTelemetry spans (structs with a
// go.opentelemetry.io/otel/trace.SpanContext field), then the concrete types of itabs for
// `error` (custom errors), then other types of itabs, then the rest. A T stored in the
// interface word itself (a struct of one pointer) gets none.
UserStructs FindUserStructs(const gobin::RuntimeTypes& types, std::string_view main_module,
                            size_t cap, const std::vector<uint64_t>& roots = {});

// The type a pointer to `pointee` is walked as (GOTAP_DEREF_TYPED roots and pointer fields):
// the pointee itself, whose value the pointer points to, as in an interface holding it. nullopt
// for a pointee stored in an interface word itself, of size 0, or of a kind other than a struct
// or plain value.
std::optional<uint64_t> PointeeWalkType(const gobin::RuntimeTypes& types, uint64_t pointee);

}  // namespace gotap::trace
