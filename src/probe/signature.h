// A Go function's parameters and results with their types: written by the user in a selector,
// or read from DWARF.
#pragma once

#include <string>
#include <vector>

#include "dwarf/type.h"

namespace gotap::probe {

struct Value {
  // Go's name of the parameter or result; when none was written, "arg0", "arg1", … for
  // parameters and "r0", "r1", … for results (counted within the list).
  std::string name;
  const dwarf::Type* type = nullptr;  // never null
  bool named = false;                 // false iff `name` was made up as above

  // "x string", or just "string" when unnamed.
  std::string ToString() const;
};

struct Signature {
  // In a selector: the parameters after the receiver (a pointer receiver is implied, a value
  // receiver is written as the first parameter). From DWARF: every argument, receiver included.
  std::vector<Value> params;
  std::vector<Value> results;

  // Go syntax: "(x string, y string) (string, string)", "(int) error", "()".
  std::string ToString() const;
};

}  // namespace gotap::probe
