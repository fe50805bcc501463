#include "gobin/symbol_name.h"

#include <cstdint>
#include <string>

#include "base/utf8.h"

namespace gotap::gobin {
namespace {

// The longest name gotap reads (Pclntab::FuncName's bound); generic instantiations get long.
constexpr size_t kMaxNameLength = 4096;

bool StartsName(uint32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_' || cp >= 0x80;
}

}  // namespace

bool IsGoSymbolName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  std::string open;  // the closing bracket each open one expects, innermost last
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    size_t length = DecodeUtf8(name, i, &cp);
    if (length == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) return false;
    if (i == 0 && !StartsName(cp)) return false;
    i += length;
    switch (cp) {
      case '(':
        open.push_back(')');
        break;
      case '[':
        open.push_back(']');
        break;
      case '{':
        open.push_back('}');
        break;
      case ')':
      case ']':
      case '}':
        if (open.empty() || open.back() != static_cast<char>(cp)) return false;
        open.pop_back();
        break;
      case ' ':
        // Outside brackets only before the brace of a type literal: `type:.eq.struct { x int }`.
        if (open.empty() && (i >= name.size() || name[i] != '{')) return false;
        break;
      default:
        break;
    }
  }
  return open.empty();
}

}  // namespace gotap::gobin
