// Internal: the memory behind a DwarfInfo, filled by the loaders in this directory.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dwarf/dwarf_info.h"
#include "dwarf/type.h"

namespace gotap::dwarf {

// Lets unordered containers keyed by std::string be searched with a std::string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using NameMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;
using NameSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

struct DwarfData {
  // The type arena. A deque so that Type* handed out stay valid while it grows; never shrinks.
  // types.front() is the "<unknown>" kOther type used where the DWARF names no usable type.
  std::deque<Type> types;
  NameMap<const Type*> types_by_name;

  std::vector<Function> functions;  // sorted by low_pc once loading is done
  NameMap<size_t> function_by_name;
  std::vector<InlinedCall> inlined_calls;
  NameMap<std::vector<size_t>> inlined_by_callee;  // indices into inlined_calls
  NameSet abstract_names;                          // names of DW_AT_inline subprograms
  std::vector<Global> globals;
  NameMap<size_t> global_by_name;

  const Type* unknown_type() const { return &types.front(); }
};

}  // namespace gotap::dwarf
