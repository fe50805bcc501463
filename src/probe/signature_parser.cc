#include "probe/signature_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace gotap::probe {
namespace {

using dwarf::Type;

struct Token {
  enum class Kind { kIdent, kNumber, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string_view text;  // empty for kEnd
  size_t column = 0;      // 1-based, over the whole selector

  bool Is(std::string_view punct_or_word) const {
    return kind != Kind::kEnd && text == punct_or_word;
  }
  std::string Quoted() const { return kind == Kind::kEnd ? "end" : fmt::format("'{}'", text); }
};

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;  // UTF-8 letters, taken on trust
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Splits text[start..] into tokens, or fails at the first character no Go type can contain.
StatusOr<std::vector<Token>> Tokenize(std::string_view text, size_t start) {
  std::vector<Token> tokens;
  size_t i = start;
  while (i < text.size()) {
    char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    size_t begin = i;
    Token::Kind kind = Token::Kind::kPunct;
    if (IsIdentStart(c)) {
      kind = Token::Kind::kIdent;
      // A type named by its import path ("net/http.Header", "example.com/x-y/v2.T") is one
      // token; anything else stops at the first character an identifier cannot hold.
      size_t path_end = i;
      while (path_end < text.size() &&
             (IsIdentStart(text[path_end]) || IsDigit(text[path_end]) ||
              std::string_view("./-~").find(text[path_end]) != std::string_view::npos)) {
        ++path_end;
      }
      if (text.substr(i, path_end - i).find('/') != std::string_view::npos) {
        i = path_end;
      } else {
        while (i < text.size() && (IsIdentStart(text[i]) || IsDigit(text[i]))) ++i;
      }
    } else if (IsDigit(c)) {
      kind = Token::Kind::kNumber;
      while (i < text.size() && IsDigit(text[i])) ++i;
    } else if (text.substr(i, 3) == "...") {
      i += 3;
    } else if (text.substr(i, 2) == "<-") {
      i += 2;
    } else if (std::string_view("()[]{},;*.").find(c) != std::string_view::npos) {
      ++i;
    } else {
      return InvalidArgument("unexpected '{}' at column {}", c, i + 1);
    }
    tokens.push_back(Token{kind, text.substr(begin, i - begin), begin + 1});
  }
  tokens.push_back(Token{Token::Kind::kEnd, {}, text.size() + 1});
  return tokens;
}

bool IsKeyword(std::string_view word) {
  return word == "chan" || word == "map" || word == "func" || word == "struct" ||
         word == "interface";
}

// Where a type is used decides whether its layout must be known: a parameter, an array element
// or a struct field is copied by value; what a pointer, slice, map or channel refers to is not.
enum class Use { kByValue, kBehindReference };

// One entry of a parameter list before names and types are matched up ("x, y int" has two).
struct ListEntry {
  std::optional<Token> name;  // "x int": x
  std::optional<Token> bare;  // a lone identifier: a type name, or a name sharing a later type
  const Type* type = nullptr;
  bool variadic = false;
  size_t column = 0;
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, TypeArena& arena) : tokens_(std::move(tokens)), arena_(arena) {}

  StatusOr<Signature> ParseSignature() {
    Signature signature;
    ASSIGN_OR_RETURN(signature.params, ParseList("arg", 0));
    if (Peek().Is("(")) {
      ASSIGN_OR_RETURN(signature.results, ParseList("r", 0));
    } else if (Peek().kind != Token::Kind::kEnd) {
      ASSIGN_OR_RETURN(const Type* type, ParseType(Use::kByValue, 0));
      signature.results.push_back(Value{"r0", type, false});
    }
    if (Peek().kind != Token::Kind::kEnd) return Unexpected(Peek());
    return signature;
  }

 private:
  static constexpr int kMaxDepth = 32;

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  Token Next() {
    Token token = Peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  static Status Unexpected(const Token& token) {
    return InvalidArgument("unexpected {} at column {}", token.Quoted(), token.column);
  }
  Status Expect(std::string_view punct) {
    if (!Peek().Is(punct)) {
      return InvalidArgument("expected '{}' at column {}", punct, Peek().column);
    }
    Next();
    return Status::Ok();
  }
  // True if the token can begin a type (so an identifier before it is a name).
  static bool StartsType(const Token& token) {
    return token.kind == Token::Kind::kIdent || token.Is("*") || token.Is("[") || token.Is("<-") ||
           token.Is("(") || token.Is("...");
  }

  // "(" [entry {"," entry} [","]] ")", then names and types matched up as Go does: either every
  // entry is a type, or every entry is "names type" where names may be shared ("x, y int").
  StatusOr<std::vector<Value>> ParseList(const char* unnamed_prefix, int depth) {
    RETURN_IF_ERROR(Expect("("));
    std::vector<ListEntry> entries;
    while (!Peek().Is(")")) {
      ASSIGN_OR_RETURN(ListEntry entry, ParseEntry(depth));
      entries.push_back(std::move(entry));
      if (!Peek().Is(",")) break;
      Next();
    }
    RETURN_IF_ERROR(Expect(")"));
    return MatchNames(std::move(entries), unnamed_prefix);
  }

  StatusOr<ListEntry> ParseEntry(int depth) {
    ListEntry entry;
    entry.column = Peek().column;
    const Token& first = Peek();
    bool ident = first.kind == Token::Kind::kIdent && !IsKeyword(first.text);
    if (ident && (Peek(1).Is(",") || Peek(1).Is(")") || Peek(1).kind == Token::Kind::kEnd)) {
      entry.bare = Next();
      return entry;
    }
    if (ident && !Peek(1).Is(".") && StartsType(Peek(1))) entry.name = Next();
    if (Peek().Is("...")) {
      Next();
      entry.variadic = true;
    }
    ASSIGN_OR_RETURN(entry.type, ParseType(Use::kByValue, depth));
    if (entry.variadic) entry.type = arena_.Slice(entry.type);
    return entry;
  }

  StatusOr<std::vector<Value>> MatchNames(std::vector<ListEntry> entries,
                                          const char* unnamed_prefix) {
    bool any_named = false;
    for (const ListEntry& entry : entries) any_named |= entry.name.has_value();
    for (size_t i = 0; i + 1 < entries.size(); ++i) {
      if (entries[i].variadic) {
        return InvalidArgument("'...' is only allowed on the last parameter, at column {}",
                               entries[i].column);
      }
    }
    std::vector<Value> values;
    if (!any_named) {
      for (ListEntry& entry : entries) {
        if (entry.bare) {
          ASSIGN_OR_RETURN(entry.type, ResolveName(std::string(entry.bare->text),
                                                   entry.bare->column, Use::kByValue));
        }
        values.push_back(Value{fmt::format("{}{}", unnamed_prefix, values.size()), entry.type});
      }
      return values;
    }
    std::vector<Token> pending;  // names waiting for the type that follows them
    for (const ListEntry& entry : entries) {
      if (entry.bare) {
        pending.push_back(*entry.bare);
        continue;
      }
      if (!entry.name) {
        return InvalidArgument("mixed named and unnamed parameters at column {}", entry.column);
      }
      pending.push_back(*entry.name);
      for (const Token& name : pending) {
        values.push_back(Value{std::string(name.text), entry.type, true});
      }
      pending.clear();
    }
    if (!pending.empty()) {
      return InvalidArgument("missing type for '{}' at column {}", pending.front().text,
                             pending.front().column);
    }
    return values;
  }

  StatusOr<const Type*> ParseType(Use use, int depth) {
    const Token token = Next();
    if (depth > kMaxDepth) {
      return InvalidArgument("type nests too deeply at column {}", token.column);
    }
    if (token.Is("*")) {
      ASSIGN_OR_RETURN(const Type* elem, ParseType(Use::kBehindReference, depth + 1));
      return arena_.Pointer(elem);
    }
    if (token.Is("[")) return ParseArrayOrSlice(depth);
    if (token.Is("(")) {
      ASSIGN_OR_RETURN(const Type* inner, ParseType(use, depth + 1));
      RETURN_IF_ERROR(Expect(")"));
      return inner;
    }
    if (token.Is("<-")) {
      if (!Peek().Is("chan")) return InvalidArgument("expected 'chan' at column {}", Peek().column);
      Next();
      ASSIGN_OR_RETURN(const Type* elem, ParseType(Use::kBehindReference, depth + 1));
      return arena_.Chan(ChanDir::kRecv, elem);
    }
    if (token.kind != Token::Kind::kIdent) {
      return InvalidArgument("expected a type at column {}", token.column);
    }
    if (token.text == "map") {
      RETURN_IF_ERROR(Expect("["));
      ASSIGN_OR_RETURN(const Type* key, ParseType(Use::kBehindReference, depth + 1));
      RETURN_IF_ERROR(Expect("]"));
      ASSIGN_OR_RETURN(const Type* value, ParseType(Use::kBehindReference, depth + 1));
      return arena_.Map(key, value);
    }
    if (token.text == "chan") {
      ChanDir dir = ChanDir::kBoth;
      if (Peek().Is("<-")) {
        Next();
        dir = ChanDir::kSend;
      }
      ASSIGN_OR_RETURN(const Type* elem, ParseType(Use::kBehindReference, depth + 1));
      return arena_.Chan(dir, elem);
    }
    if (token.text == "func") return ParseFunc(depth);
    if (token.text == "struct") return ParseStruct(depth);
    if (token.text == "interface") return ParseInterface();
    std::string name(token.text);
    if (name.find('/') != std::string::npos) {
      size_t slash = name.rfind('/');
      size_t dot = name.find('.', slash);
      if (dot == std::string::npos || dot + 1 == name.size() || name.back() == '.') {
        return InvalidArgument("expected PATH.Type (e.g. net/http.Header) at column {}",
                               token.column);
      }
      return ResolveName(name, token.column, use);
    }
    if (Peek().Is(".")) {
      Next();
      if (Peek().kind != Token::Kind::kIdent) {
        return InvalidArgument("expected a type name at column {}", Peek().column);
      }
      name += "." + std::string(Next().text);
    }
    return ResolveName(name, token.column, use);
  }

  StatusOr<const Type*> ResolveName(const std::string& name, size_t column, Use use) {
    if (const Type* type = arena_.Named(name)) return type;
    if (IsKeyword(name)) return InvalidArgument("unexpected '{}' at column {}", name, column);
    // A package-qualified name is laid out from the binary's type data when the plan is made
    // (by value); behind a reference its layout is not needed.
    if (use == Use::kBehindReference || name.find('.') != std::string::npos) {
      return arena_.Opaque(name);
    }
    return InvalidArgument(
        "unknown type '{}' at column {} (a named type is written with its package, e.g. "
        "main.{}; a signature can use {})",
        name, column, name, TypeArena::SupportedForms());
  }

  // After "[": "]T" or "N]T".
  StatusOr<const Type*> ParseArrayOrSlice(int depth) {
    if (Peek().Is("]")) {
      Next();
      ASSIGN_OR_RETURN(const Type* elem, ParseType(Use::kBehindReference, depth + 1));
      return arena_.Slice(elem);
    }
    const Token length_token = Next();
    if (length_token.kind != Token::Kind::kNumber) {
      return InvalidArgument("expected an array length or ']' at column {}", length_token.column);
    }
    uint64_t length = 0;
    for (char digit : length_token.text) {
      if (length > (UINT64_MAX - 9) / 10) {
        return InvalidArgument("array length too large at column {}", length_token.column);
      }
      length = length * 10 + static_cast<uint64_t>(digit - '0');
    }
    RETURN_IF_ERROR(Expect("]"));
    const size_t elem_column = Peek().column;
    ASSIGN_OR_RETURN(const Type* elem, ParseType(Use::kByValue, depth + 1));
    if (TypeArena::IsOpaque(*elem)) {
      return InvalidArgument(
          "an array of {} needs its layout at column {}: name the array's own type, or pass it "
          "behind a pointer",
          elem->name, elem_column);
    }
    auto array = arena_.Array(length, elem);
    if (!array.ok()) {
      return InvalidArgument("{} at column {}", array.status().message(), length_token.column);
    }
    return *array;
  }

  // After "func": a parameter list and optional results. Only the name is kept.
  StatusOr<const Type*> ParseFunc(int depth) {
    if (depth > kMaxDepth) {
      return InvalidArgument("type nests too deeply at column {}", Peek().column);
    }
    ASSIGN_OR_RETURN(std::vector<Value> params, ParseList("arg", depth + 1));
    std::vector<Value> results;
    if (Peek().Is("(")) {
      ASSIGN_OR_RETURN(results, ParseList("r", depth + 1));
    } else if (StartsType(Peek()) && !Peek().Is("...")) {
      ASSIGN_OR_RETURN(const Type* result, ParseType(Use::kByValue, depth + 1));
      results.push_back(Value{"r0", result});
    }
    std::vector<const Type*> param_types, result_types;
    for (const Value& value : params) param_types.push_back(value.type);
    for (const Value& value : results) result_types.push_back(value.type);
    return arena_.Func(param_types, result_types);
  }

  // After "struct": "{" [field {";" field} [";"]] "}", a field being "a, b T" or an embedded T.
  StatusOr<const Type*> ParseStruct(int depth) {
    const size_t column = Peek().column;
    RETURN_IF_ERROR(Expect("{"));
    std::vector<dwarf::Field> fields;
    while (!Peek().Is("}")) {
      std::vector<std::string> names;
      while (Peek().kind == Token::Kind::kIdent && !IsKeyword(Peek().text) &&
             (Peek(1).Is(",") || (!Peek(1).Is(".") && StartsType(Peek(1))))) {
        names.emplace_back(Next().text);
        if (!Peek().Is(",")) break;
        Next();
      }
      ASSIGN_OR_RETURN(const Type* type, ParseType(Use::kByValue, depth + 1));
      if (names.empty()) {  // embedded: the field is named after the type, without its package
        std::string_view name = type->name;
        if (name.starts_with("*")) name.remove_prefix(1);
        if (size_t dot = name.rfind('.'); dot != std::string_view::npos) {
          name.remove_prefix(dot + 1);
        }
        fields.push_back(dwarf::Field{std::string(name), 0, type, true});
      }
      for (std::string& name : names) fields.push_back(dwarf::Field{std::move(name), 0, type});
      if (!Peek().Is(";")) break;
      Next();
    }
    RETURN_IF_ERROR(Expect("}"));
    auto type = arena_.Struct(std::move(fields));
    if (!type.ok()) return InvalidArgument("{} at column {}", type.status().message(), column);
    return *type;
  }

  // After "interface": "{" methods "}". Only whether there are methods matters to the ABI.
  StatusOr<const Type*> ParseInterface() {
    RETURN_IF_ERROR(Expect("{"));
    std::string methods;
    int braces = 0;
    while (braces > 0 || !Peek().Is("}")) {
      const Token token = Next();
      if (token.kind == Token::Kind::kEnd) {
        return InvalidArgument("expected '}}' at column {}", token.column);
      }
      if (token.Is("{")) ++braces;
      if (token.Is("}")) --braces;
      bool glue = methods.empty() || token.Is("(") || token.Is(")") || token.Is(",") ||
                  token.Is(".") || methods.back() == '(' || methods.back() == '.' || token.Is(";");
      methods += (glue ? "" : " ") + std::string(token.text);
    }
    Next();
    return arena_.Interface(methods);
  }

  std::vector<Token> tokens_;  // ends with one kEnd token
  size_t pos_ = 0;
  TypeArena& arena_;
};

}  // namespace

StatusOr<Signature> ParseSignature(std::string_view text, size_t start, TypeArena& arena) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text, start));
  return Parser(std::move(tokens), arena).ParseSignature();
}

}  // namespace gotap::probe
