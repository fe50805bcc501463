#include "probe/selector.h"

#include <fmt/format.h>

#include <vector>

#include "probe/signature_parser.h"

namespace gotap::probe {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char Closer(char open) { return open == '[' ? ']' : open == '(' ? ')' : '}'; }

// The end (exclusive) of the function name that starts at text[start]: the first whitespace or
// "(" (one not following a ".") outside brackets. Brackets must balance within the name.
StatusOr<size_t> ScanName(std::string_view text, size_t start) {
  std::vector<char> open;  // closers expected, innermost last
  size_t i = start;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (open.empty() && (IsSpace(c) || (c == '(' && i > start && text[i - 1] != '.'))) break;
    if (c == '[' || c == '(' || c == '{') {
      open.push_back(Closer(c));
    } else if (c == ']' || c == ')' || c == '}') {
      if (open.empty()) return InvalidArgument("unexpected '{}' at column {}", c, i + 1);
      if (open.back() != c) {
        return InvalidArgument("expected '{}' at column {}", open.back(), i + 1);
      }
      open.pop_back();
    }
  }
  if (!open.empty()) return InvalidArgument("expected '{}' at column {}", open.back(), i + 1);
  return i;
}

bool IsGlob(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '?') return true;
    if (pattern[i] == '*' && (i == 0 || pattern[i - 1] != '(')) return true;
  }
  return false;
}

}  // namespace

std::string Selector::ToString() const {
  return signature ? pattern + signature->ToString() : pattern;
}

StatusOr<Selector> ParseSelector(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) ++start;
  if (start == text.size()) return InvalidArgument("empty selector");
  if (text[start] == '(') {
    return InvalidArgument("expected a function name at column {}", start + 1);
  }
  ASSIGN_OR_RETURN(size_t name_end, ScanName(text, start));
  Selector selector;
  selector.pattern = std::string(text.substr(start, name_end - start));
  selector.is_glob = IsGlob(selector.pattern);
  size_t rest = name_end;
  while (rest < text.size() && IsSpace(text[rest])) ++rest;
  if (rest == text.size()) return selector;
  if (text[rest] != '(') return InvalidArgument("expected '(' at column {}", rest + 1);
  auto arena = std::make_shared<TypeArena>();
  ASSIGN_OR_RETURN(selector.signature, ParseSignature(text, rest, *arena));
  selector.types = std::move(arena);
  return selector;
}

bool HasPointerReceiver(std::string_view func_name) {
  // Skip the package path: its last element starts after the last '/' outside brackets.
  int depth = 0;
  size_t last_elem = 0;
  for (size_t i = 0; i < func_name.size(); ++i) {
    char c = func_name[i];
    if (c == '[' || c == '(' || c == '{') ++depth;
    if (c == ']' || c == ')' || c == '}') --depth;
    if (c == '/' && depth == 0) last_elem = i + 1;
  }
  std::string_view name = func_name.substr(last_elem);
  size_t group = name.find(".(*");
  if (group == std::string_view::npos) return false;
  // Find the ')' that closes the receiver group; the method name follows ").".
  depth = 0;
  size_t i = group + 1;
  for (; i < name.size(); ++i) {
    if (name[i] == '(' || name[i] == '[' || name[i] == '{') ++depth;
    if (name[i] == ')' || name[i] == ']' || name[i] == '}') --depth;
    if (depth == 0) break;
  }
  if (i + 2 >= name.size() || name[i + 1] != '.') return false;
  std::string_view method = name.substr(i + 2);
  return method.find_first_of(".[(") == std::string_view::npos && !method.ends_with("-fm");
}

}  // namespace gotap::probe
