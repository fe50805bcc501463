#include "decode/render.h"

#include <fmt/format.h>

#include <cstring>

#include "base/duration.h"
#include "base/escape.h"
#include "decode/iface_render.h"

namespace gotap::decode {
namespace {

using Kind = dwarf::Type::Kind;

// Elements of an array shown in text output; the rest are counted.
constexpr uint64_t kTextArrayElements = 32;

const char* StateReason(ByteState s) {
  switch (s) {
    case ByteState::kKnown:
      return "";
    case ByteState::kFloatRegister:
      return "float in register";
    case ByteState::kNotCaptured:
      return "not captured";
    case ByteState::kFault:
      return "unreadable";
  }
  return "?";
}

// "<float in register>": how an unknown value reads in text output.
std::string StateText(ByteState s) { return fmt::format("<{}>", StateReason(s)); }

int64_t SignExtend(uint64_t v, uint64_t size) {
  if (size >= 8) return static_cast<int64_t>(v);
  uint64_t shift = 64 - 8 * size;
  return static_cast<int64_t>(v << shift) >> shift;
}

double Float(const CapturedValue& v, uint64_t offset, uint64_t size) {
  uint64_t raw = v.Word(offset, size);
  if (size == 4) {
    float f;
    uint32_t r32 = static_cast<uint32_t>(raw);
    std::memcpy(&f, &r32, 4);
    return f;
  }
  double d;
  std::memcpy(&d, &raw, 8);
  return d;
}

std::string Address(uint64_t p) { return p == 0 ? "nil" : fmt::format("{:#x}", p); }

bool IsByteSlice(const dwarf::Type& t) {
  return t.kind == Kind::kSlice && t.elem != nullptr && t.elem->size == 1 &&
         (t.elem->kind == Kind::kUint || t.elem->kind == Kind::kInt);
}

class TextRenderer {
 public:
  explicit TextRenderer(const CapturedValue& v) : v_(v) {}

  std::string Render(const dwarf::Type& t, uint64_t at, int depth) {
    if (depth > 8) return "...";
    if (t.size == 0) return t.kind == Kind::kStruct ? "{}" : "[]";
    switch (t.kind) {
      case Kind::kString:
        return String(at);
      case Kind::kSlice:
        return Slice(t, at);
      case Kind::kInterface:
      case Kind::kEmptyInterface:
        return Interface(t, at);
      case Kind::kStruct:
        return Struct(t, at, depth);
      case Kind::kArray:
        return Array(t, at, depth);
      default:
        break;
    }
    ByteState s = v_.StateOf(at, t.size);
    if (s != ByteState::kKnown) return StateText(s);
    uint64_t raw = v_.Word(at, std::min<uint64_t>(t.size, 8));
    switch (t.kind) {
      case Kind::kBool:
        return raw ? "true" : "false";
      case Kind::kInt:
        // A time.Duration reads as Go's %v prints it (its String method); JSON keeps the ns.
        if (t.name == "time.Duration" && t.size == 8) {
          return FormatGoDuration(SignExtend(raw, t.size));
        }
        return fmt::format("{}", SignExtend(raw, t.size));
      case Kind::kUint:
        return fmt::format("{}", raw);
      case Kind::kUintptr:
        return fmt::format("{:#x}", raw);
      case Kind::kFloat:
        return fmt::format("{}", Float(v_, at, t.size));
      case Kind::kComplex:
        return fmt::format("({}{:+}i)", Float(v_, at, t.size / 2),
                           Float(v_, at + t.size / 2, t.size / 2));
      case Kind::kPointer:
        if (auto it = v_.ifaces.find(at); it != v_.ifaces.end() && raw != 0) {
          return PointeeText(it->second, {v_.now_ns, v_.ctx_key});
        }
        return Address(raw);
      case Kind::kUnsafePointer:
      case Kind::kMap:
      case Kind::kChan:
      case Kind::kFunc:
        return Address(raw);
      default:
        return fmt::format("{:#x}", raw);
    }
  }

 private:
  std::string String(uint64_t at) {
    ByteState s = v_.StateOf(at, 16);
    if (s != ByteState::kKnown) return StateText(s);
    uint64_t ptr = v_.Word(at, 8);
    int64_t len = static_cast<int64_t>(v_.Word(at + 8, 8));
    if (len == 0) return "\"\"";
    return Quoted(at, ptr, len);
  }

  std::string Quoted(uint64_t at, uint64_t ptr, int64_t len) {
    auto it = v_.pointees.find(at);
    if (len < 0) return fmt::format("<bad length {}>", len);
    if (it == v_.pointees.end() || it->second.read_failed) {
      return fmt::format("<unreadable {} bytes at {:#x}>", len, ptr);
    }
    const std::string& data = it->second.bytes;
    std::string out = "\"" + EscapeForTerminal(data) + "\"";
    if (static_cast<uint64_t>(len) > data.size()) {
      out += fmt::format("...(+{} bytes)", static_cast<uint64_t>(len) - data.size());
    }
    return out;
  }

  std::string Slice(const dwarf::Type& t, uint64_t at) {
    ByteState s = v_.StateOf(at, 24);
    if (s != ByteState::kKnown) return StateText(s);
    uint64_t ptr = v_.Word(at, 8);
    int64_t len = static_cast<int64_t>(v_.Word(at + 8, 8));
    int64_t cap = static_cast<int64_t>(v_.Word(at + 16, 8));
    if (ptr == 0 && len == 0) return "nil";
    if (IsByteSlice(t) && v_.pointees.count(at)) {
      return fmt::format("[]byte({})", len == 0 ? "\"\"" : Quoted(at, ptr, len));
    }
    return fmt::format("{}(len={} cap={} {:#x})", t.name, len, cap, ptr);
  }

  std::string Interface(const dwarf::Type& t, uint64_t at) {
    ByteState s = v_.StateOf(at, 16);
    if (s != ByteState::kKnown) return StateText(s);
    uint64_t type_word = v_.Word(at, 8);
    uint64_t data = v_.Word(at + 8, 8);
    if (type_word == 0) return "nil";
    if (auto it = v_.ifaces.find(at); it != v_.ifaces.end()) {
      return IfaceText(it->second, {v_.now_ns, v_.ctx_key});
    }
    const char* word = t.kind == Kind::kEmptyInterface ? "type" : "itab";
    return fmt::format("{}({}={:#x} data={:#x})", t.name, word, type_word, data);
  }

  std::string Struct(const dwarf::Type& t, uint64_t at, int depth) {
    std::string out = "{";
    for (const dwarf::Field& f : t.fields) {
      if (out.size() > 1) out += " ";
      out += f.name + ":" + Render(*f.type, at + f.offset, depth + 1);
    }
    return out + "}";
  }

  std::string Array(const dwarf::Type& t, uint64_t at, int depth) {
    if (t.elem == nullptr || t.elem->size == 0) return "[]";
    std::string out = "[";
    for (uint64_t i = 0; i < t.array_length && i < kTextArrayElements; ++i) {
      out += (i ? " " : "") + Render(*t.elem, at + i * t.elem->size, depth + 1);
    }
    if (t.array_length > kTextArrayElements) {
      out += fmt::format(" ...(+{} elements)", t.array_length - kTextArrayElements);
    }
    return out + "]";
  }

  const CapturedValue& v_;
};

class JsonRenderer {
 public:
  JsonRenderer(const CapturedValue& v, JsonWriter* w) : v_(v), w_(*w) {}

  void Render(const dwarf::Type& t, uint64_t at, int depth) {
    if (depth > 8) {
      w_.Null();
      return;
    }
    switch (t.kind) {
      case Kind::kString:
        return String(at);
      case Kind::kSlice:
        return Slice(t, at);
      case Kind::kInterface:
      case Kind::kEmptyInterface:
        return Interface(at);
      case Kind::kStruct:
        w_.BeginObject();
        for (const dwarf::Field& f : t.fields) {
          w_.Key(f.name);
          Render(*f.type, at + f.offset, depth + 1);
        }
        w_.EndObject();
        return;
      case Kind::kArray:
        w_.BeginArray();
        if (t.elem != nullptr && t.elem->size > 0) {
          // Every element: the value's size, and so the array's, is bounded by the capture.
          for (uint64_t i = 0; i < t.array_length && i * t.elem->size < v_.bytes.size(); ++i) {
            Render(*t.elem, at + i * t.elem->size, depth + 1);
          }
        }
        w_.EndArray();
        return;
      default:
        break;
    }
    if (t.size == 0 || v_.StateOf(at, t.size) != ByteState::kKnown) {
      w_.Null();
      return;
    }
    uint64_t raw = v_.Word(at, std::min<uint64_t>(t.size, 8));
    switch (t.kind) {
      case Kind::kBool:
        w_.Bool(raw != 0);
        return;
      case Kind::kInt:
        w_.Int(SignExtend(raw, t.size));
        return;
      case Kind::kUint:
        w_.Uint(raw);
        return;
      case Kind::kFloat:
        w_.Double(Float(v_, at, t.size));
        return;
      case Kind::kComplex:
        w_.BeginArray().Double(Float(v_, at, t.size / 2));
        w_.Double(Float(v_, at + t.size / 2, t.size / 2)).EndArray();
        return;
      case Kind::kPointer:
        if (auto it = v_.ifaces.find(at); it != v_.ifaces.end() && raw != 0) {
          IfaceJson(it->second, {v_.now_ns, v_.ctx_key}, &w_);
          return;
        }
        raw == 0 ? w_.Null() : w_.String(fmt::format("{:#x}", raw));
        return;
      default:
        raw == 0 && t.kind != Kind::kUintptr ? w_.Null() : w_.String(fmt::format("{:#x}", raw));
    }
  }

 private:
  void Data(uint64_t at) {
    auto it = v_.pointees.find(at);
    if (it == v_.pointees.end() || it->second.read_failed) {
      w_.Null();
    } else {
      w_.String(it->second.bytes);
    }
  }

  void String(uint64_t at) {
    if (v_.StateOf(at, 16) != ByteState::kKnown) {
      w_.Null();
      return;
    }
    if (v_.Word(at + 8, 8) == 0) {
      w_.String("");
      return;
    }
    Data(at);
  }

  void Slice(const dwarf::Type& t, uint64_t at) {
    if (v_.StateOf(at, 24) != ByteState::kKnown) {
      w_.Null();
      return;
    }
    uint64_t ptr = v_.Word(at, 8);
    w_.BeginObject().Key("ptr");
    ptr == 0 ? w_.Null() : w_.String(fmt::format("{:#x}", ptr));
    w_.Key("len").Int(static_cast<int64_t>(v_.Word(at + 8, 8)));
    w_.Key("cap").Int(static_cast<int64_t>(v_.Word(at + 16, 8)));
    if (IsByteSlice(t) && v_.pointees.count(at)) {
      w_.Key("data");
      Data(at);
    }
    w_.EndObject();
  }

  void Interface(uint64_t at) {
    if (v_.StateOf(at, 16) != ByteState::kKnown || v_.Word(at, 8) == 0) {
      w_.Null();
      return;
    }
    if (auto it = v_.ifaces.find(at); it != v_.ifaces.end()) {
      IfaceJson(it->second, {v_.now_ns, v_.ctx_key}, &w_, v_.Word(at, 8));
      return;
    }
    w_.BeginObject().Key("type_word").String(fmt::format("{:#x}", v_.Word(at, 8)));
    w_.Key("data").String(fmt::format("{:#x}", v_.Word(at + 8, 8))).EndObject();
  }

  const CapturedValue& v_;
  JsonWriter& w_;
};

}  // namespace

std::string RenderText(const CapturedValue& value) {
  return TextRenderer(value).Render(*value.type, 0, 0);
}

void RenderJson(const CapturedValue& value, JsonWriter* json) {
  JsonRenderer(value, json).Render(*value.type, 0, 0);
}

std::string Unavailable(const CapturedValue& value) {
  for (ByteState s : value.state) {
    if (s != ByteState::kKnown) return StateReason(s);
  }
  for (const auto& [offset, p] : value.pointees) {
    if (p.read_failed) return "unreadable";
  }
  return "";
}

}  // namespace gotap::decode
