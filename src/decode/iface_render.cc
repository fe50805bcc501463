#include "decode/iface_render.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>
#include <ctime>

#include "base/escape.h"
#include "decode/iface_struct.h"

namespace gotap::decode {
namespace {

constexpr int kMaxErrorDepth = 8;  // wrapped errors followed when spelling a message
constexpr int kMaxLinks = 32;      // context links rendered

Shape ShapeOf(const IfaceNode& n) {
  return n.type && n.type->recipe ? n.type->recipe->shape : Shape::kNone;
}

std::string TypeName(const IfaceNode& n) {
  return n.type ? n.type->name : fmt::format("<type {:#x}>", n.type_addr);
}

std::string StringText(const IfaceNode& n, size_t i) {
  if (i >= n.strings.size()) return "<not captured>";
  const IfaceString& s = n.strings[i];
  if (s.read_failed) return "<unreadable>";
  std::string out = EscapeForTerminal(s.bytes);
  if (s.length > s.bytes.size()) out += fmt::format("...(+{} bytes)", s.length - s.bytes.size());
  return out;
}

// Like StringText, unescaped (for messages that are escaped as a whole, or written as JSON).
std::string RawCut(const IfaceNode& n, size_t i) {
  if (i >= n.strings.size()) return "<not captured>";
  const IfaceString& s = n.strings[i];
  if (s.read_failed) return "<unreadable>";
  std::string out = s.bytes;
  if (s.length > s.bytes.size()) out += fmt::format("...(+{} bytes)", s.length - s.bytes.size());
  return out;
}

bool IsBuiltinName(const std::string& name) {
  static const char* kNames[] = {"bool",       "int",     "int8",    "int16",   "int32",
                                 "int64",      "uint",    "uint8",   "uint16",  "uint32",
                                 "uint64",     "uintptr", "float32", "float64", "complex64",
                                 "complex128", "string"};
  for (const char* k : kNames) {
    if (name == k) return true;
  }
  return false;
}

// The value of a plain (no recipe) node, without its type; nullopt if it was not copied.
std::optional<std::string> PlainValue(const IfaceNode& n, bool quote_strings = true) {
  if (!n.type) return std::nullopt;
  uint8_t kind = n.type->kind;
  if (n.type->direct) return n.data == 0 ? "nil" : fmt::format("{:#x}", n.data);
  if (!(n.flags & GOTAP_IFACE_F_BASIC) || n.copy.size() != n.type->size) return std::nullopt;
  uint64_t raw = 0;
  std::memcpy(&raw, n.copy.data(), std::min<size_t>(n.copy.size(), 8));
  uint64_t size = n.type->size;
  if (kind == RtKind::kString) {
    if (raw == 0 && n.Word(8) == 0) return quote_strings ? "\"\"" : "";
    return quote_strings ? "\"" + StringText(n, 0) + "\"" : StringText(n, 0);
  }
  if (kind == RtKind::kBool) return raw ? "true" : "false";
  if (kind >= RtKind::kInt && kind <= RtKind::kInt64) {
    uint64_t shift = 64 - 8 * std::min<uint64_t>(size, 8);
    return fmt::format("{}", static_cast<int64_t>(raw << shift) >> shift);
  }
  if (kind >= RtKind::kUint && kind < RtKind::kUintptr) return fmt::format("{}", raw);
  if (kind == RtKind::kUintptr) return fmt::format("{:#x}", raw);
  if (kind == RtKind::kFloat64) {
    double d;
    std::memcpy(&d, &raw, 8);
    return fmt::format("{}", d);
  }
  if (kind == RtKind::kFloat32) {
    float f;
    uint32_t r32 = static_cast<uint32_t>(raw);
    std::memcpy(&f, &r32, 4);
    return fmt::format("{}", f);
  }
  return std::nullopt;
}

// A value with its type, as %#v would tell them apart: 42 for int (unless `always_typed`:
// int(42)), main.ctxKey("user").
std::string TypedText(const IfaceNode& n, bool always_typed = false) {
  if (n.type_addr == 0) return (n.flags & GOTAP_IFACE_F_FAULT) ? "<unreadable>" : "nil";
  if (ShapeOf(n) == Shape::kStruct) {
    if (auto s = StructText(n, [](const IfaceNode& c) { return IfaceText(c, {}); })) return *s;
  }
  if (ShapeOf(n) == Shape::kNetAddr) {
    if (auto a = NetAddrText(n)) return fmt::format("{}({})", TypeName(n), EscapeForTerminal(*a));
  }
  // A zero-size value (a struct{} context key such as gRPC's streamKey{}) is all in its type:
  // every one of them points at the same runtime.zerobase, which tells nothing.
  if (n.type && n.type->size == 0 && !n.type->direct &&
      (n.type->kind == RtKind::kStruct || n.type->kind == RtKind::kArray)) {
    return TypeName(n) + "{}";
  }
  auto plain = PlainValue(n);
  if (plain && n.type && IsBuiltinName(n.type->name) && !always_typed) return *plain;
  if (plain) return fmt::format("{}({})", TypeName(n), *plain);
  if (n.flags & GOTAP_IFACE_F_FAULT) return fmt::format("{}(<unreadable>)", TypeName(n));
  return fmt::format("{}({:#x})", TypeName(n), n.data);
}

std::string ErrnoText(uint64_t errno_value) {
  char buffer[128];
  const char* text = strerror_r(static_cast<int>(errno_value), buffer, sizeof(buffer));
  std::string s = text ? text : "";
  if (s.empty() || s.starts_with("Unknown error")) return fmt::format("errno {}", errno_value);
  // Go's syscall table spells glibc's messages in lower case.
  s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::optional<std::string> ErrorMessageAt(const IfaceNode& n, int depth) {
  if (depth > kMaxErrorDepth) return std::nullopt;
  if (n.type_addr == 0)
    return (n.flags & GOTAP_IFACE_F_FAULT) ? std::nullopt : std::optional<std::string>("<nil>");
  auto child = [&](int i) -> std::optional<std::string> {
    const IfaceNode* c = n.Child(i);
    if (c == nullptr) {
      if (n.children_missing || (n.flags & (GOTAP_IFACE_F_DEPTH | GOTAP_IFACE_F_PENDING))) {
        return std::nullopt;
      }
      return "<nil>";
    }
    return ErrorMessageAt(*c, depth + 1);
  };
  bool copied = n.type && n.type->recipe && n.copy.size() == n.type->recipe->copy_len;
  switch (ShapeOf(n)) {
    case Shape::kErrorString:
    case Shape::kWrapError:
    case Shape::kWrapErrors:
      if (!copied) return std::nullopt;
      return RawCut(n, 0);
    case Shape::kPathError: {
      auto inner = child(0);
      if (!copied || !inner) return std::nullopt;
      return RawCut(n, 0) + " " + RawCut(n, 1) + ": " + *inner;
    }
    case Shape::kSyscallError: {
      auto inner = child(0);
      if (!copied || !inner) return std::nullopt;
      return RawCut(n, 0) + ": " + *inner;
    }
    case Shape::kOpError: {
      // As OpError.Error(): "dial tcp 127.0.0.1:1: connect: connection refused", with
      // "src->dst" when both addresses are set. Children: Source, Addr, Err.
      auto inner = child(2);
      if (!copied || !inner) return std::nullopt;
      std::string s = RawCut(n, 0);
      if (n.Word(24) != 0) s += " " + RawCut(n, 1);
      auto addr = [&](int i) -> std::string {
        const IfaceNode* a = n.Child(i);
        if (a == nullptr) return "<not captured>";
        auto text = NetAddrText(*a);
        return text ? *text : TypedText(*a);
      };
      bool source = n.Word(32) != 0;
      if (source) s += " " + addr(0);
      if (n.Word(48) != 0) s += (source ? "->" : " ") + addr(1);
      return s + ": " + *inner;
    }
    case Shape::kDeadlineExceeded:
      return "context deadline exceeded";
    default:
      break;
  }
  if (n.type && n.type->name == "syscall.Errno" && n.copy.size() == 8) {
    return ErrnoText(n.Word(0));
  }
  return std::nullopt;
}

// deadline - now, saturated: a deadline read from the target may be any int64.
int64_t Remaining(int64_t deadline_ns, uint64_t now_ns) {
  int64_t left = 0;
  if (__builtin_sub_overflow(deadline_ns, static_cast<int64_t>(now_ns), &left)) {
    return deadline_ns < 0 ? INT64_MIN : INT64_MAX;
  }
  return left;
}

std::string FormatLeft(int64_t ns) {
  bool past = ns < 0;
  uint64_t a = past ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string d;
  if (a < 1000000) {
    d = fmt::format("{:.1f}µs", a / 1e3);
  } else if (a < 1000000000) {
    d = fmt::format("{:.1f}ms", a / 1e6);
  } else if (a < 60 * 1000000000ull) {
    d = fmt::format("{:.1f}s", a / 1e9);
  } else if (a < 3600 * 1000000000ull) {
    d = fmt::format("{}m{}s", a / 60000000000ull, (a % 60000000000ull) / 1000000000);
  } else if (a < 86400 * 1000000000ull) {
    d = fmt::format("{}h{}m", a / 3600000000000ull, (a % 3600000000000ull) / 60000000000ull);
  } else {
    d = fmt::format("{}d{}h", a / 86400000000000ull, (a % 86400000000000ull) / 3600000000000ull);
  }
  return past ? d + " ago" : "in " + d;
}

// One link of a context chain.
struct Link {
  const char* kind = "?";
  const IfaceNode* node = nullptr;
  // value links
  const IfaceNode* key = nullptr;
  const IfaceNode* value = nullptr;
  // cancel-like links: done is nullopt when unknown
  std::optional<bool> done;
  std::optional<std::string> err;
  std::optional<std::string> cause;  // context.Cause, when it is not the error itself
  std::optional<int64_t> deadline_ns;
};

struct Chain {
  std::vector<Link> links;
  std::string stopped;                 // why the chain ends before a root context, or ""
  const IfaceNode* unknown = nullptr;  // a link of a type gotap cannot follow
};

bool ChildrenKnown(const IfaceNode& n) {
  return !n.children_missing && !(n.flags & (GOTAP_IFACE_F_DEPTH | GOTAP_IFACE_F_PENDING));
}

Chain WalkChain(const IfaceNode& root) {
  Chain chain;
  const IfaceNode* n = &root;
  while (n != nullptr && static_cast<int>(chain.links.size()) < kMaxLinks) {
    Shape shape = ShapeOf(*n);
    if (n->type_addr == 0) {
      if (n->flags & GOTAP_IFACE_F_FAULT) chain.stopped = "unreadable";
      break;
    }
    if (!IsContextShape(shape)) {
      chain.unknown = n;
      break;
    }
    const ShapeRecipe& recipe = *n->type->recipe;
    bool copied = n->copy.size() == recipe.copy_len;
    Link link;
    link.node = n;
    const IfaceNode* holder = n;  // the node holding the parent (and a cancel's error)
    switch (shape) {
      case Shape::kEmptyCtx:
        link.kind = n->ident == 1 ? "background" : n->ident == 2 ? "todo" : "emptyCtx";
        break;
      case Shape::kBackgroundCtx:
        link.kind = "background";
        break;
      case Shape::kTodoCtx:
        link.kind = "todo";
        break;
      case Shape::kValueCtx:
        link.kind = "value";
        link.key = n->Child(1);
        link.value = n->Child(2);
        break;
      case Shape::kWithoutCancelCtx:
        link.kind = "withoutCancel";
        break;
      case Shape::kStopCtx:
        link.kind = "stop";
        break;
      default:
        link.kind = shape == Shape::kTimerCtx       ? "timer"
                    : shape == Shape::kAfterFuncCtx ? "afterFunc"
                                                    : "cancel";
        if (copied && (recipe.child_ptr & 1)) {
          // Go 1.20's timerCtx points to its cancelCtx, which holds the parent and the error.
          const IfaceNode* body = n->Child(0);
          if (body != nullptr && ShapeOf(*body) == Shape::kCancelCtx) {
            holder = body;
          } else {
            holder = nullptr;
          }
        }
        const ShapeRecipe* hr = holder && holder->type ? holder->type->recipe : nullptr;
        if (copied && hr != nullptr && hr->err_child >= 0 && holder->copy.size() == hr->copy_len) {
          if (const IfaceNode* e = holder->Child(hr->err_child)) {
            link.done = true;
            link.err = ErrorMessage(*e);
            const IfaceNode* c = hr->cause_child >= 0 ? holder->Child(hr->cause_child) : nullptr;
            if (c != nullptr) {
              auto cause = ErrorMessage(*c);
              if (cause != link.err) link.cause = cause.value_or("<error not decoded>");
            }
          } else if (ChildrenKnown(*holder)) {
            link.done = false;
          }
        }
        if (copied && shape == Shape::kTimerCtx) {
          link.deadline_ns = GoTimeUnixNanos(n->Word(recipe.deadline_at),
                                             static_cast<int64_t>(n->Word(recipe.deadline_at + 8)));
        }
        break;
    }
    chain.links.push_back(link);
    if (recipe.children.empty()) break;  // a root context
    if (!copied || holder == nullptr) {
      chain.stopped = (n->flags & GOTAP_IFACE_F_FAULT) ? "unreadable" : "truncated";
      break;
    }
    const IfaceNode* parent = holder->Child(0);
    if (parent == nullptr) {
      if (holder->flags & GOTAP_IFACE_F_DEPTH) {
        chain.stopped = "depth limit";
      } else if (!ChildrenKnown(*holder)) {
        chain.stopped = "truncated";
      }
      break;
    }
    n = parent;
  }
  if (n != nullptr && static_cast<int>(chain.links.size()) >= kMaxLinks) chain.stopped = "too long";
  return chain;
}

std::string KeyText(const IfaceNode& key) {
  if (key.type && key.type->name == "string") {
    auto plain = PlainValue(key, /*quote_strings=*/false);
    if (plain) return *plain;
  }
  return TypedText(key);
}

std::string LinkText(const Link& l, const IfaceRenderOptions& o) {
  std::string s = l.kind;
  if (l.key != nullptr || l.value != nullptr) {
    return s + " " + (l.key ? KeyText(*l.key) : "<nil>") + "=" +
           (l.value ? TypedText(*l.value) : "nil");
  }
  std::vector<std::string> parts;
  if (l.deadline_ns) {
    std::string d = "deadline " + FormatUtc(*l.deadline_ns);
    if (o.now_ns) d += ", " + FormatLeft(Remaining(*l.deadline_ns, o.now_ns));
    parts.push_back(d);
  }
  if (l.done.value_or(false)) {
    parts.push_back("done: " + EscapeForTerminal(l.err.value_or("<error not decoded>")));
    if (l.cause) parts.push_back("cause: " + EscapeForTerminal(*l.cause));
  } else if (l.done) {
    parts.push_back("not done");
  } else if (l.node->type->recipe->err_child >= 0 || (l.node->type->recipe->child_ptr & 1)) {
    parts.push_back("done: ?");
  }
  if (parts.empty()) return s;
  s += "(";
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s + ")";
}

// The value link whose key reads as `name`: string keys and named string keys by their text
// first, then any key by its type's name ("main.streamKey", or with its import path
// "google.golang.org/grpc/internal/transport.streamKey": the runtime names the type by its
// package's name, the path's last element), the innermost first.
const Link* FindKey(const Chain& chain, const std::string& name) {
  for (const Link& l : chain.links) {
    if (l.key == nullptr) continue;
    if (KeyText(*l.key) == name || PlainValue(*l.key, false) == name) return &l;
  }
  const size_t slash = name.rfind('/');
  const std::string type_name = slash == std::string::npos ? name : name.substr(slash + 1);
  for (const Link& l : chain.links) {
    if (l.key == nullptr || l.key->type == nullptr) continue;
    if (l.key->type->name == type_name || l.key->type->name + "{}" == type_name) return &l;
  }
  return nullptr;
}

// A key for JSON: a string key's (or named string key's) bytes, else its text with its type.
std::string JsonKeyText(const IfaceNode& key) {
  if (key.type && key.type->kind == RtKind::kString && !key.strings.empty()) return RawCut(key, 0);
  return TypedText(key);
}

void PlainJson(const IfaceNode& n, JsonWriter* w) {
  if (n.type_addr == 0) {
    w->Null();
    return;
  }
  auto plain = PlainValue(n, false);
  if (!plain) {
    w->Null();
    return;
  }
  // A direct type's value is its data word ("nil", "0x…"), whatever kind the type data claims.
  uint8_t kind = n.type && !n.type->direct ? n.type->kind : 0;
  if (kind == RtKind::kString) {
    w->String(n.strings.empty() ? "" : n.strings[0].bytes);
  } else if (kind == RtKind::kBool) {
    w->Bool(*plain == "true");
  } else if (kind >= RtKind::kInt && kind <= RtKind::kInt64) {
    w->Int(std::stoll(*plain));
  } else if (kind >= RtKind::kUint && kind < RtKind::kUintptr) {
    w->Uint(std::stoull(*plain));
  } else {
    w->String(*plain);
  }
}

}  // namespace

int64_t GoTimeUnixNanos(uint64_t wall, int64_t ext) {
  constexpr uint64_t kHasMonotonic = 1ull << 63;
  constexpr int64_t kWallToInternal = (1884LL * 365 + 1884 / 4 - 1884 / 100 + 1884 / 400) * 86400;
  constexpr int64_t kUnixToInternal = (1969LL * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400) * 86400;
  int64_t nsec = static_cast<int64_t>(wall & ((1ull << 30) - 1));
  int64_t sec =
      (wall & kHasMonotonic) ? kWallToInternal + static_cast<int64_t>((wall << 1) >> 31) : ext;
  // ext comes from the target's memory, and a zero time.Time (year 1) is already out of range:
  // saturate instead of overflowing.
  int64_t ns = 0;
  if (__builtin_sub_overflow(sec, kUnixToInternal, &ns) ||
      __builtin_mul_overflow(ns, int64_t{1000000000}, &ns) ||
      __builtin_add_overflow(ns, nsec, &ns)) {
    return sec < kUnixToInternal ? INT64_MIN : INT64_MAX;
  }
  return ns;
}

std::string FormatUtc(int64_t unix_ns) {
  int64_t secs = unix_ns / 1000000000, nsec = unix_ns % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return fmt::format("<time {}ns>", unix_ns);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (nsec != 0) {
    std::string frac = fmt::format("{:09}", nsec);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

std::optional<std::string> ErrorMessage(const IfaceNode& node) { return ErrorMessageAt(node, 0); }

std::string IfaceText(const IfaceNode& n, const IfaceRenderOptions& o) {
  if (n.type_addr == 0) return (n.flags & GOTAP_IFACE_F_FAULT) ? "<unreadable>" : "nil";
  if (IsContextShape(ShapeOf(n))) {
    Chain chain = WalkChain(n);
    if (!o.ctx_key.empty()) {
      const Link* l = FindKey(chain, o.ctx_key);
      if (l != nullptr) return o.ctx_key + "=" + (l->value ? TypedText(*l->value) : "nil");
      return fmt::format("<no {}{}>", o.ctx_key, chain.stopped.empty() ? "" : " (chain cut)");
    }
    std::string s = "context{";
    for (size_t i = 0; i < chain.links.size(); ++i) {
      s += (i ? " → " : "") + LinkText(chain.links[i], o);
    }
    if (chain.unknown) s += (chain.links.empty() ? "" : " → ") + TypedText(*chain.unknown);
    if (!chain.stopped.empty()) s += " → …(" + chain.stopped + ")";
    return s + "}";
  }
  if (auto msg = ErrorMessage(n)) {
    if (IsErrorShape(ShapeOf(n)) || (n.type && n.type->name == "syscall.Errno")) {
      return "error(\"" + EscapeForTerminal(*msg) + "\")";
    }
  }
  return TypedText(n, /*always_typed=*/true);
}

std::string PointeeText(const IfaceNode& n, const IfaceRenderOptions& o) {
  if (n.type_addr == 0) return (n.flags & GOTAP_IFACE_F_FAULT) ? "<unreadable>" : "nil";
  return PointerText("*" + EscapeForTerminal(TypeName(n)), n.data, &n, "",
                     [&](const IfaceNode& c) { return IfaceText(c, o); });
}

void IfaceJson(const IfaceNode& n, const IfaceRenderOptions& o, JsonWriter* w, uint64_t word0) {
  if (n.type_addr == 0) {
    w->Null();
    return;
  }
  w->BeginObject().Key("type").String(n.type ? n.type->name : fmt::format("{:#x}", n.type_addr));
  if (word0 != 0) w->Key("type_word").String(fmt::format("{:#x}", word0));
  w->Key("data").String(fmt::format("{:#x}", n.data));
  if (IsContextShape(ShapeOf(n))) {
    Chain chain = WalkChain(n);
    if (!o.ctx_key.empty()) {
      const Link* l = FindKey(chain, o.ctx_key);
      w->Key("key").String(o.ctx_key).Key("value");
      if (l != nullptr && l->value != nullptr) {
        PlainJson(*l->value, w);
      } else {
        w->Null();
      }
      return void(w->EndObject());
    }
    w->Key("context").BeginArray();
    for (const Link& l : chain.links) {
      w->BeginObject().Key("kind").String(l.kind);
      if (l.key || l.value) {
        w->Key("key").String(l.key ? JsonKeyText(*l.key) : "");
        w->Key("key_type").String(l.key ? TypeName(*l.key) : "");
        w->Key("value");
        if (l.value != nullptr) {
          PlainJson(*l.value, w);
        } else {
          w->Null();
        }
        w->Key("value_type").String(l.value ? TypeName(*l.value) : "");
        w->Key("value_text").String(l.value ? TypedText(*l.value) : "nil");
      }
      if (l.deadline_ns) {
        w->Key("deadline")
            .String(FormatUtc(*l.deadline_ns))
            .Key("deadline_unix_ns")
            .Int(*l.deadline_ns);
        if (o.now_ns) w->Key("remaining_ns").Int(Remaining(*l.deadline_ns, o.now_ns));
      }
      if (l.done) w->Key("done").Bool(*l.done);
      if (l.err) w->Key("err").String(*l.err);
      if (l.cause) w->Key("cause").String(*l.cause);
      w->EndObject();
    }
    if (chain.unknown) w->BeginObject().Key("kind").String(TypeName(*chain.unknown)).EndObject();
    w->EndArray();
    if (!chain.stopped.empty()) w->Key("stopped").String(chain.stopped);
  } else if (auto msg = ErrorMessage(n);
             msg && (IsErrorShape(ShapeOf(n)) || (n.type && n.type->name == "syscall.Errno"))) {
    w->Key("error").String(*msg);
  } else if (auto text = ShapeOf(n) == Shape::kStruct
                             ? StructText(n, [&](const IfaceNode& c) { return IfaceText(c, o); })
                             : std::nullopt) {
    // The program's own structs: the text as IfaceText writes it, and the fields as JSON.
    w->Key("text").String(*text).Key("fields");
    StructFieldsJson(
        n, [&](const IfaceNode& c, JsonWriter* cw) { IfaceJson(c, o, cw); }, w);
    if (StructCut(n)) w->Key("cut").String("bytes");
  } else if (auto addr = ShapeOf(n) == Shape::kNetAddr ? NetAddrText(n) : std::nullopt) {
    w->Key("value").String(*addr);
  } else {
    w->Key("value");
    PlainJson(n, w);
  }
  if (n.flags & GOTAP_IFACE_F_FAULT) w->Key("unreadable").Bool(true);
  w->EndObject();
}

}  // namespace gotap::decode
