#include "seed_maker/iface_seeds.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "iface_fuzz_types.h"

namespace gotap::seeds {
namespace {

using fuzz::IfaceFuzzTypeAddress;

// iface_fuzzer's option byte: the index of the Go release in kIfaceFuzzGoMinors, plus flags.
constexpr uint8_t kGo116 = 1, kGo119 = 3, kGo120 = 4, kGo121 = 5, kGo125 = 7;
constexpr uint8_t kCtxKey = 8, kNow = 16, kWord0 = 32;
// gotap_iface_node_flags
constexpr uint8_t kFault = 1, kDepth = 2, kRecipe = 8, kBasic = 16;

// Where the target's strings pretend to live (the copies hold {ptr, len} headers to them).
constexpr uint64_t kStringPtr = 0xc000100000;
// Unix seconds as time.Time's ext without a monotonic reading (seconds since year 1).
constexpr int64_t kUnixToInternal = (1969LL * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400) * 86400;

// One node of a walk, as the BPF program writes it (struct gotap_iface_node and what follows).
struct Node {
  std::string type;  // iface_fuzz_types.h name; "" = nil (or unreadable with kFault)
  uint64_t data = 0xc000010000;
  ByteVector copy;
  std::vector<std::string> strings;
  // Recipe child indexes, ascending, and their nodes (not a vector of pairs: clang 14 cannot
  // instantiate std::pair<int, Node> inside Node).
  std::vector<int> child_indexes;
  std::vector<Node> children;
  uint8_t flags = 0;
  uint8_t ident = 0;
  uint64_t type_address = 0;  // overrides `type` when set

  Node& Word(size_t at, uint64_t value) {
    if (copy.size() < at + 8) copy.resize(at + 8);
    std::memcpy(copy.data() + at, &value, 8);
    return *this;
  }
  // A string header at `at` in the copy and the string's bytes.
  Node& String(size_t at, std::string s) {
    Word(at, kStringPtr + at).Word(at + 8, s.size());
    strings.push_back(std::move(s));
    return *this;
  }
  Node& Size(size_t n) {
    copy.resize(n);
    return *this;
  }
  Node& Child(int index, Node child) {
    child_indexes.push_back(index);
    children.push_back(std::move(child));
    return *this;
  }
};

void Put(ByteVector* out, uint64_t value, int size) {
  for (int i = 0; i < size; ++i) out->push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void Write(const Node& n, ByteVector* out) {
  uint8_t mask = 0;
  for (int index : n.child_indexes) mask |= static_cast<uint8_t>(1 << index);
  Put(out, n.type_address ? n.type_address : IfaceFuzzTypeAddress(n.type), 8);
  Put(out, n.type.empty() && !n.type_address ? 0 : n.data, 8);
  Put(out, n.copy.size(), 2);
  Put(out, n.strings.size(), 1);
  Put(out, mask, 1);
  Put(out, n.flags, 1);
  Put(out, n.ident, 1);
  Put(out, 0, 2);
  out->insert(out->end(), n.copy.begin(), n.copy.end());
  for (const std::string& s : n.strings) {
    Put(out, s.size(), 2);
    out->insert(out->end(), s.begin(), s.end());
  }
  for (const Node& child : n.children) Write(child, out);
}

ByteVector Seed(uint8_t options, const Node& root) {
  ByteVector out{options};
  Write(root, &out);
  return out;
}

Node Plain(std::string type, size_t size, uint64_t value) {
  Node n{.type = std::move(type), .flags = kBasic};
  return n.Word(0, value).Size(size);
}
Node PlainString(std::string type, std::string s) {
  Node n{.type = std::move(type), .flags = kBasic};
  return n.String(0, std::move(s));
}
Node Recipe(std::string type, size_t copy_len) {
  Node n{.type = std::move(type), .flags = kRecipe};
  return n.Size(copy_len);
}
Node ErrorString(std::string message) {
  return Recipe("*errors.errorString", 16).String(0, std::move(message));
}
Node Errno(uint64_t value) { return Plain("syscall.Errno", 8, value); }
Node Background() { return Recipe("context.backgroundCtx", 0); }
Node EmptyCtx(uint8_t ident) {
  Node n = Recipe("*context.emptyCtx", 0);
  n.ident = ident;
  return n;
}
Node ValueCtx(Node parent, Node key, Node value) {
  return Recipe("*context.valueCtx", 48)
      .Child(0, std::move(parent))
      .Child(1, std::move(key))
      .Child(2, std::move(value));
}
// cancelCtx with its error (if done) at `err_at`, as child 1.
Node CancelCtx(size_t copy_len, Node parent, std::optional<Node> err) {
  Node n = Recipe("*context.cancelCtx", copy_len).Child(0, std::move(parent));
  if (err) n.Child(1, std::move(*err));
  return n;
}
Node Deadline(Node n, size_t at, int64_t unix_seconds) {
  return n.Word(at, 123456789)
      .Word(at + 8, uint64_t(unix_seconds + kUnixToInternal))
      .Word(at + 16, 0);
}

}  // namespace

std::vector<std::pair<std::string, ByteVector>> IfaceSeeds() {
  std::vector<std::pair<std::string, ByteVector>> seeds;
  auto add = [&](std::string name, ByteVector bytes) {
    seeds.emplace_back("iface-" + name + ".blob", std::move(bytes));
  };
  const int64_t deadline = 1900000000;  // 2030-03-17

  // Go 1.21: value(requestID="abc-123") -> timer(deadline) -> cancel(done) -> background.
  Node cancel121 = CancelCtx(80, Background(), ErrorString("context canceled"));
  Node timer121 =
      Deadline(Recipe("*context.timerCtx", 112), 88, deadline).Child(0, std::move(cancel121));
  Node chain121 = ValueCtx(std::move(timer121), PlainString("string", "requestID"),
                           PlainString("string", "abc-123"));
  add("ctx-go121", Seed(kGo121 | kNow, chain121));
  add("ctx-go121-key", Seed(kGo121 | kCtxKey | kWord0, chain121));
  ByteVector cut = Seed(kGo121, chain121);
  cut.resize(cut.size() * 3 / 5);
  add("ctx-go121-cut", cut);

  // Go 1.20: timerCtx points to its cancelCtx, which holds the parent (todo) and no error.
  Node body120 = CancelCtx(80, EmptyCtx(2), std::nullopt);
  body120.data = 0xc000020000;
  Node timer120 = Deadline(Recipe("*context.timerCtx", 40), 16, deadline)
                      .Word(0, body120.data)
                      .Child(0, std::move(body120));
  add("ctx-go120",
      Seed(kGo120 | kNow,
           ValueCtx(std::move(timer120), PlainString("main.ctxKey", "user"), Plain("int", 8, 42))));

  // Go 1.19 and 1.16: emptyCtx identified as background; cancel layouts of their own.
  add("ctx-go119", Seed(kGo119 | kCtxKey, ValueCtx(CancelCtx(64, EmptyCtx(1), std::nullopt),
                                                   PlainString("string", "requestID"),
                                                   PlainString("string", "x\ny\x1b[31m"))));
  add("ctx-go116", Seed(kGo116, CancelCtx(56, EmptyCtx(1), ErrorString("context canceled"))));
  // Go 1.25: cancelCtx.err is an eface; a deadline error.
  add("ctx-go125",
      Seed(kGo125, CancelCtx(80, Background(), Recipe("context.deadlineExceededError", 0))));
  Node deep = Recipe("*context.cancelCtx", 80);
  deep.flags |= kDepth;
  add("ctx-depth", Seed(kGo121, ValueCtx(std::move(deep), Plain("int", 8, 1), Node{})));

  // Errors.
  Node path = Recipe("*fs.PathError", 48).String(0, "open").String(16, "/etc/x");
  path.Child(0, Errno(2));
  add("err-path", Seed(kGo121, path));
  add("err-wrap", Seed(kGo121, Recipe("*fmt.wrapError", 32)
                                   .String(0, "read config: open /etc/x: no such file")
                                   .Child(0, std::move(path))));
  Node op = Recipe("*net.OpError", 80).String(0, "dial").String(16, "tcp");
  op.Child(0, Node{.type = "*main.T"})
      .Child(1, Recipe("*os.SyscallError", 32).String(0, "connect").Child(0, Errno(111)));
  add("err-op", Seed(kGo121, op));
  add("err-wraps", Seed(kGo121, Recipe("*fmt.wrapErrors", 16).String(0, "a\nb")));
  add("err-errno", Seed(kGo116 | kWord0, Errno(13)));

  // Addresses (as *net.OpError names them) and the program's own structs.
  add("tcpaddr", Seed(kGo121, Recipe("*net.TCPAddr", 48)
                                  .String(0, std::string("\x7f\0\0\x01", 4))
                                  .Word(24, 8080)
                                  .String(32, "")));
  add("udpaddr6", Seed(kGo121, Recipe("*net.UDPAddr", 48)
                                   .String(0, std::string(15, '\0') + "\x01")
                                   .Word(24, 53)
                                   .String(32, "eth0")));
  add("struct-config", Seed(kGo121 | kWord0, Recipe("main.Config", 64)
                                                 .Word(0, 7)
                                                 .String(8, "boom")
                                                 .Word(40, 0x3ff0000000000001)
                                                 .Word(56, 1)
                                                 .Child(0, ErrorString("inner"))));
  add("struct-huge", Seed(kGo121, Recipe("*main.Huge", 256).String(8, "cut").Word(0, 1)));

  // Plain values, nil, unreadable and unknown types.
  add("int", Seed(kGo121, Plain("int", 8, uint64_t(-42))));
  add("int8", Seed(kGo121, Plain("int8", 1, 0x80)));
  add("uint64", Seed(kGo121, Plain("uint64", 8, UINT64_MAX)));
  add("float64", Seed(kGo121, Plain("float64", 8, 0x400921fb54442d18)));
  add("float32", Seed(kGo121, Plain("float32", 4, 0x3fc00000)));
  add("bool", Seed(kGo121, Plain("bool", 1, 1)));
  add("string", Seed(kGo121, PlainString("string", "h\xc3\xa9llo \xff\xe2\x80\xa8")));
  add("ctxkey", Seed(kGo121 | kWord0, PlainString("main.ctxKey", "user")));
  add("pointer", Seed(kGo121, Node{.type = "*main.T"}));
  add("struct", Seed(kGo121, Node{.type = "main.Big"}));
  add("nil", Seed(kGo121, Node{}));
  add("unreadable", Seed(kGo121, Node{.flags = kFault}));
  add("unknown-type", Seed(kGo121, Node{.type_address = fuzz::kIfaceFuzzTypeBase + 63}));
  return seeds;
}

}  // namespace gotap::seeds
