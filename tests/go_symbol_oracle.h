// What a Go function symbol looks like, for tests that check names gotap prints; written apart
// from gotap's own IsGoSymbolName (gobin/symbol_name.h) so that tests check it rather than repeat
// it. Shared by the unit and e2e test binaries.
#pragma once

#include <cctype>
#include <string>

#include "utf8_oracle.h"

namespace gotap::testing {

// "" if `name` reads as a Go symbol as the toolchains write them, else why not: well-formed
// UTF-8, no control characters, a letter or '_' first, (), [] and {} nested properly, spaces
// only inside brackets or before a type literal's '{' (`type:.eq.struct { a int }`).
inline std::string WhyNotGoSymbol(const std::string& name) {
  if (name.empty()) return "empty";
  unsigned char first = static_cast<unsigned char>(name[0]);
  if (!(std::isalpha(first) || first == '_' || first >= 0x80)) {
    return "starts with a character no Go symbol starts with";
  }
  std::string closers;
  for (size_t i = 0; i < name.size();) {
    size_t length = WellFormedLength(name, i);
    if (length == 0) return "not UTF-8";
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (length == 1 && (c < 0x20 || c == 0x7f)) return "control character";
    if (c == '(' || c == '[' || c == '{') closers.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    if (c == ')' || c == ']' || c == '}') {
      if (closers.empty() || closers.back() != static_cast<char>(c)) return "unbalanced brackets";
      closers.pop_back();
    }
    if (c == ' ' && closers.empty() && name.compare(i + 1, 1, "{") != 0) return "stray space";
    i += length;
  }
  return closers.empty() ? "" : "unclosed bracket";
}

}  // namespace gotap::testing
