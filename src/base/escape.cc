#include "base/escape.h"

#include <fmt/format.h>

#include "base/utf8.h"

namespace gotap {
namespace {

// Length of the UTF-8 sequence at s[i] (2..4) if it may be printed as is, else 0. Unicode line
// and paragraph separators and C1 controls are escaped like ASCII controls.
size_t PrintableUtf8Length(std::string_view s, size_t i) {
  uint32_t cp = 0;
  size_t len = DecodeUtf8(s, i, &cp);
  if (len < 2 || cp < 0xa0 || cp == 0x2028 || cp == 0x2029) return 0;
  return len;
}

}  // namespace

std::string EscapeForTerminal(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      default:
        break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (size_t len = PrintableUtf8Length(raw, i); len > 0) {
      out.append(raw.substr(i, len));
      i += len;
      continue;
    }
    out += fmt::format("\\x{:02x}", c);
    ++i;
  }
  return out;
}

}  // namespace gotap
