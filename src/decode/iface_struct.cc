#include "decode/iface_struct.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

#include "base/duration.h"
#include "base/escape.h"

namespace gotap::decode {
namespace {

const ShapeRecipe* RecipeOf(const IfaceNode& n, Shape shape) {
  const ShapeRecipe* r = n.type ? n.type->recipe : nullptr;
  if (r == nullptr || r->shape != shape || n.copy.size() != r->copy_len) return nullptr;
  return r;
}

bool Inside(const IfaceNode& n, const RecipeField& f) {
  return f.offset <= n.copy.size() && n.copy.size() - f.offset >= f.size;
}

// The field's bytes as an unsigned number (little-endian, up to 8 bytes).
uint64_t Raw(const IfaceNode& n, const RecipeField& f) {
  uint64_t raw = 0;
  std::memcpy(&raw, n.copy.data() + f.offset, std::min<uint64_t>(f.size, 8));
  return raw;
}

// The string a recipe followed, without escaping, and whether the target's was longer.
std::optional<std::string> StringBytes(const IfaceNode& n, int index, bool* cut) {
  if (index < 0 || static_cast<size_t>(index) >= n.strings.size()) return std::nullopt;
  const IfaceString& s = n.strings[static_cast<size_t>(index)];
  if (s.read_failed) return std::nullopt;
  *cut = s.length > s.bytes.size();
  return s.bytes;
}

// Bool, numbers, strings: the field's value as text; nullopt for other kinds.
std::optional<std::string> ScalarText(const IfaceNode& n, const RecipeField& f) {
  uint64_t raw = Raw(n, f);
  if (f.kind == RtKind::kBool) return raw ? "true" : "false";
  if (f.kind >= RtKind::kInt && f.kind <= RtKind::kInt64 && f.size >= 1 && f.size <= 8) {
    uint64_t shift = 64 - 8 * f.size;
    int64_t v = static_cast<int64_t>(raw << shift) >> shift;
    // A time.Duration reads as its String method spells it (JSON keeps the ns).
    if (f.type_name == "time.Duration" && f.size == 8) return FormatGoDuration(v);
    return fmt::format("{}", v);
  }
  if (f.kind >= RtKind::kUint && f.kind <= RtKind::kUint64) return fmt::format("{}", raw);
  if (f.kind == RtKind::kUintptr) return fmt::format("{:#x}", raw);
  if (f.kind == RtKind::kFloat64 && f.size == 8) {
    double d;
    std::memcpy(&d, &raw, 8);
    return fmt::format("{}", d);
  }
  if (f.kind == RtKind::kFloat32 && f.size == 4) {
    float x;
    uint32_t r32 = static_cast<uint32_t>(raw);
    std::memcpy(&x, &r32, 4);
    return fmt::format("{}", x);
  }
  if (f.kind == RtKind::kString && f.size == 16) {
    uint64_t length = n.Word(f.offset + 8);
    if (length == 0) return "\"\"";
    bool cut = false;
    auto bytes = StringBytes(n, f.string_index, &cut);
    if (!bytes) return fmt::format("string(len {})", length);
    std::string out = "\"" + EscapeForTerminal(*bytes) + "\"";
    if (cut) out += fmt::format("...(+{} bytes)", length - bytes->size());
    return out;
  }
  return std::nullopt;
}

// " cut: depth" when the walk's bound left the field's node out, else "".
std::string CutNote(const IfaceNode& n, const RecipeField& f) {
  if (f.child_index < 0 || *n.missing == '\0') return "";
  return fmt::format(" cut: {}", n.missing);
}

bool IsWordKind(uint8_t kind) {
  return kind == RtKind::kPointer || kind == RtKind::kUnsafePointer || kind == RtKind::kMap ||
         kind == RtKind::kChan || kind == RtKind::kFunc;
}

std::string FieldsText(const IfaceNode& n, const std::vector<RecipeField>& fields,
                       const ChildText& child);

// One field's value. Fields past the copy are "…".
std::string FieldText(const IfaceNode& n, const RecipeField& f, const ChildText& child) {
  if (!Inside(n, f)) return "…";
  std::string type = EscapeForTerminal(f.type_name);  // from the binary: untrusted
  if (auto s = ScalarText(n, f)) return *s;
  if (f.kind == RtKind::kInterface && f.size == 16) {
    if (n.Word(f.offset) == 0) return "nil";
    const IfaceNode* c = f.child_index >= 0 ? n.Child(f.child_index) : nullptr;
    if (c == nullptr) return fmt::format("{}(…{})", type, CutNote(n, f));
    return child(*c);
  }
  if (f.kind == RtKind::kPointer && f.size == 8 && f.child_index >= 0) {
    uint64_t w = n.Word(f.offset);
    if (w == 0) return "nil";
    return PointerText(type, w, n.Child(f.child_index), CutNote(n, f), child);
  }
  if (IsWordKind(f.kind) && f.size == 8) {
    uint64_t w = n.Word(f.offset);
    return w == 0 ? "nil" : fmt::format("{}({:#x})", type, w);
  }
  if (f.kind == RtKind::kSlice && f.size == 24) {
    if (n.Word(f.offset) == 0) return "nil";
    return fmt::format("{}(len {})", type, n.Word(f.offset + 8));
  }
  if (f.kind == RtKind::kStruct) {
    // Named nested structs say their type; anonymous ones ("struct { … }") only their fields.
    std::string prefix = f.type_name.starts_with("struct") ? "" : type;
    if (f.fields.empty() && f.size > 0) return prefix + "{…}";
    return prefix + "{" + FieldsText(n, f.fields, child) + "}";
  }
  return fmt::format("{}{{…}}", type);  // arrays, complex numbers
}

std::string FieldsText(const IfaceNode& n, const std::vector<RecipeField>& fields,
                       const ChildText& child) {
  std::string out;
  for (const RecipeField& f : fields) {
    if (f.offset >= n.copy.size() && f.size > 0) break;  // the rest was not copied
    if (!out.empty()) out += ", ";
    out += EscapeForTerminal(f.name) + ":" + FieldText(n, f, child);
  }
  return out;
}

void FieldsJson(const IfaceNode& n, const std::vector<RecipeField>& fields, const ChildJson& child,
                JsonWriter* w) {
  w->BeginObject();
  for (const RecipeField& f : fields) {
    if (f.offset >= n.copy.size() && f.size > 0) break;
    w->Key(f.name);
    if (!Inside(n, f)) {
      w->Null();
      continue;
    }
    uint64_t raw = Raw(n, f);
    bool cut = false;
    std::optional<std::string> bytes;
    if (f.kind == RtKind::kBool) {
      w->Bool(raw != 0);
    } else if (f.kind >= RtKind::kInt && f.kind <= RtKind::kInt64 && f.size >= 1 && f.size <= 8) {
      uint64_t shift = 64 - 8 * f.size;
      w->Int(static_cast<int64_t>(raw << shift) >> shift);
    } else if (f.kind >= RtKind::kUint && f.kind <= RtKind::kUint64) {
      w->Uint(raw);
    } else if (f.kind == RtKind::kFloat64 && f.size == 8) {
      double d;
      std::memcpy(&d, &raw, 8);
      w->Double(d);
    } else if (f.kind == RtKind::kString && f.size == 16 && n.Word(f.offset + 8) == 0) {
      w->String("");
    } else if (f.kind == RtKind::kString && (bytes = StringBytes(n, f.string_index, &cut)) &&
               !cut) {
      w->String(*bytes);
    } else if ((f.kind == RtKind::kInterface || f.kind == RtKind::kSlice || IsWordKind(f.kind)) &&
               f.size >= 8 && n.Word(f.offset) == 0) {
      w->Null();  // nil interfaces, slices, maps, pointers, chans and funcs
    } else if (const IfaceNode* c = f.kind == RtKind::kInterface && f.child_index >= 0
                                        ? n.Child(f.child_index)
                                        : nullptr) {
      child(*c, w);
    } else if (const IfaceNode* p = f.kind == RtKind::kPointer && f.child_index >= 0
                                        ? n.Child(f.child_index)
                                        : nullptr;
               p != nullptr && PointeeCopied(*p)) {
      child(*p, w);
    } else if ((f.kind == RtKind::kPointer || f.kind == RtKind::kInterface) && f.child_index >= 0 &&
               n.Child(f.child_index) == nullptr && *n.missing != '\0') {
      w->BeginObject().Key("type").String(f.type_name);
      w->Key("data").String(fmt::format("{:#x}", n.Word(f.offset + (f.size == 16 ? 8 : 0))));
      w->Key("cut").String(n.missing).EndObject();
    } else if (f.kind == RtKind::kStruct && !f.fields.empty()) {
      FieldsJson(n, f.fields, child, w);
    } else {
      w->String(FieldText(n, f, [](const IfaceNode&) { return std::string(); }));
    }
  }
  w->EndObject();
}

}  // namespace

bool PointeeCopied(const IfaceNode& n) {
  if (n.type_addr == 0 || n.type == nullptr || n.copy.empty()) return false;
  const ShapeRecipe* r = n.type->recipe;
  return n.copy.size() == n.type->size || (r != nullptr && n.copy.size() == r->copy_len);
}

std::string PointerText(const std::string& type, uint64_t address, const IfaceNode* pointee,
                        const std::string& cut_note, const ChildText& child) {
  if (pointee != nullptr && PointeeCopied(*pointee)) return "&" + child(*pointee);
  if (pointee != nullptr && (pointee->flags & GOTAP_IFACE_F_FAULT)) {
    return fmt::format("({})({:#x} <unreadable>)", type, address);
  }
  return fmt::format("({})({:#x}{})", type, address, cut_note);
}

bool StructCut(const IfaceNode& n) {
  const ShapeRecipe* r = RecipeOf(n, Shape::kStruct);
  return r != nullptr && r->struct_size > r->copy_len;
}

std::optional<std::string> StructText(const IfaceNode& n, const ChildText& child) {
  const ShapeRecipe* r = RecipeOf(n, Shape::kStruct);
  if (r == nullptr) return std::nullopt;
  std::string out = n.type->name + "{" + FieldsText(n, r->fields, child);
  if (r->struct_size > r->copy_len) {
    out += fmt::format("{}…(cut: bytes, {} of {})", r->fields.empty() ? "" : ", ", r->copy_len,
                       r->struct_size);
  }
  return out + "}";
}

bool StructFieldsJson(const IfaceNode& n, const ChildJson& child, JsonWriter* w) {
  const ShapeRecipe* r = RecipeOf(n, Shape::kStruct);
  if (r == nullptr) return false;
  FieldsJson(n, r->fields, child, w);
  return true;
}

std::optional<std::string> NetAddrText(const IfaceNode& n) {
  // {IP []byte (0), Port int (24), Zone string (32)}; strings: IP's bytes, Zone.
  if (RecipeOf(n, Shape::kNetAddr) == nullptr || n.strings.size() < 2) return std::nullopt;
  bool cut = false;
  auto ip = StringBytes(n, 0, &cut);
  if (!ip || cut) return std::nullopt;
  auto zone = StringBytes(n, 1, &cut);
  if (!zone) return std::nullopt;
  static const uint8_t kV4InV6[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::string host;
  char buffer[INET6_ADDRSTRLEN] = {};
  if (ip->size() == 16 && std::memcmp(ip->data(), kV4InV6, 12) == 0) ip->erase(0, 12);
  if (ip->size() == 4 && inet_ntop(AF_INET, ip->data(), buffer, sizeof(buffer))) {
    host = buffer;
  } else if (ip->size() == 16 && inet_ntop(AF_INET6, ip->data(), buffer, sizeof(buffer))) {
    host = buffer;
  } else if (!ip->empty()) {
    host = "?";  // as net.IP.String spells an IP of a bad length: "?" and its hex bytes
    for (char c : *ip) host += fmt::format("{:02x}", static_cast<uint8_t>(c));
  }
  if (!zone->empty()) host += "%" + *zone;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}:{}", host, static_cast<int64_t>(n.Word(24)));
}

}  // namespace gotap::decode
