// Probe selectors: which functions to trace, and optionally their Go signature.
//
//   main.(*Store).Get                                  one function; types from DWARF
//   'main.*'                                           a glob (`*` any run, `?` one character)
//   main.swap(x string, y string) (string, string)     a signature, for stripped binaries
//   main.f(int, string) error                          unnamed parameters, a single result
//
// The function name runs up to the first "(" that does not follow a "." ("main.(*T).M" keeps its
// receiver group) and is outside generic brackets ("main.Map[go.shape.func(int)_0]").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "probe/signature.h"
#include "probe/type_arena.h"

namespace gotap::probe {

struct Selector {
  // The function name or glob pattern, as written (surrounding whitespace dropped).
  std::string pattern;
  // True iff `pattern` holds `?` or a `*` other than the one of a pointer receiver "(*T)".
  bool is_glob = false;
  // As written: the parameters after the receiver, then the results. Absent iff the selector has
  // no parameter list.
  std::optional<Signature> signature;
  // Owns every type in `signature`; null iff `signature` is absent.
  std::shared_ptr<const TypeArena> types;

  // The selector in canonical spelling: "main.swap(x string, y string) (string, string)".
  std::string ToString() const;
};

// Parses one selector. Errors are kInvalidArgument with a one-line message that ends in
// "at column N" (1-based, over `text`), e.g. "expected ')' at column 17".
StatusOr<Selector> ParseSelector(std::string_view text);

// True iff `func_name` is a method with a pointer receiver, "pkg/path.(*T).M" (also with type
// arguments, "pkg.(*T[...]).M"), whose code takes the receiver as its first argument word.
// False for closures inside methods ("pkg.(*T).M.func1") and method values ("pkg.(*T).M-fm"),
// which get the receiver through their closure context.
bool HasPointerReceiver(std::string_view func_name);

}  // namespace gotap::probe
