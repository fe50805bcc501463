#include "base/escape.h"

#include <fmt/format.h>

namespace gotap {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 if there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  uint32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t cp = b0 & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  // Unicode line/paragraph separators and C1 controls are escaped like ASCII controls.
  if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029) return 0;
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
    if (size_t len = Utf8SequenceLength(raw, i); len > 0) {
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
