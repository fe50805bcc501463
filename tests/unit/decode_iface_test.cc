// Decoding what the BPF program writes behind an interface (bpf/iface_intf.h) into errors and
// context chains, for the struct layouts of each Go version in go-internals.md §7. The blobs
// here are built the way the program builds them: a node, the bytes copied by the recipe, the
// strings, then the non-nil children in order.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "decode/iface.h"
#include "decode/iface_render.h"
#include "iface_blob.h"

namespace gotap::decode {
namespace {

constexpr uint8_t kUintptrKind = 12, kIntKind = 2, kStringKind = 24;

using blob::Put;
using blob::Serialise;
using blob::Spec;

// Types of a pretend binary: shapes by version, plus a few plain types.
class Types {
 public:
  explicit Types(std::pair<int, int> go) : shapes_(BuiltinShapes(go)) {
    uint64_t addr = 0x1000;
    for (const ShapeRecipe& s : shapes_) {
      types_[addr] = IfaceType{s.type_name, 0, 0, s.type_name[0] == '*', &s};
      by_name_[s.type_name] = addr;
      addr += 0x100;
    }
    Add("string", kStringKind, 16);
    Add("main.ctxKey", kStringKind, 16);
    Add("int", kIntKind, 8);
    Add("syscall.Errno", kUintptrKind, 8);
  }
  uint64_t operator[](const std::string& name) const { return by_name_.at(name); }
  const ShapeRecipe& Shape(const std::string& name) const {
    return *types_.at(by_name_.at(name)).recipe;
  }
  TypeLookup Lookup() const {
    return [this](uint64_t a) -> const IfaceType* {
      auto it = types_.find(a);
      return it == types_.end() ? nullptr : &it->second;
    };
  }

 private:
  void Add(const std::string& name, uint8_t kind, uint64_t size) {
    uint64_t addr = 0x9000 + 0x10 * by_name_.size();
    types_[addr] = IfaceType{name, kind, size, false, nullptr};
    by_name_[name] = addr;
  }
  std::vector<ShapeRecipe> shapes_;
  std::map<uint64_t, IfaceType> types_;
  std::map<std::string, uint64_t> by_name_;
};

Spec StringValue(const Types& t, const std::string& type, const std::string& s) {
  Spec v{t[type], 0xc000001000, {}, {s}, {}, GOTAP_IFACE_F_BASIC, 0};
  Put(&v.copy, 0, 0xc000002000);
  Put(&v.copy, 8, s.size());
  return v;
}

Spec IntValue(const Types& t, int64_t i) {
  Spec v{t["int"], 0xc000001100, {}, {}, {}, GOTAP_IFACE_F_BASIC, 0};
  Put(&v.copy, 0, static_cast<uint64_t>(i));
  return v;
}

Spec ErrorString(const Types& t, const std::string& msg) {
  Spec e{t["*errors.errorString"], 0xc000003000, {}, {msg}, {}};
  Put(&e.copy, 0, 0xc000004000);
  Put(&e.copy, 8, msg.size());
  return e;
}

// A cancelCtx / timerCtx copy as the version lays it out; err (if any) as child 1.
Spec CancelLike(const Types& t, const std::string& type, Spec parent, std::optional<Spec> err) {
  const ShapeRecipe& r = t.Shape(type);
  Spec c{t[type], 0xc000005000, std::string(r.copy_len, '\0'), {}, {}};
  Put(&c.copy, r.children[0], 0x77);  // parent itab (non-nil)
  c.children.emplace_back(0, std::move(parent));
  if (err) {
    Put(&c.copy, r.children[1], 0x88);
    c.children.emplace_back(1, std::move(*err));
  }
  return c;
}

Spec ValueCtx(const Types& t, Spec parent, Spec key, Spec value) {
  Spec v{t["*context.valueCtx"], 0xc000006000, std::string(48, '\0'), {}, {}};
  v.children = {{0, std::move(parent)}, {1, std::move(key)}, {2, std::move(value)}};
  return v;
}

Spec Background(const Types& t, std::pair<int, int> go) {
  if (go >= std::pair{1, 21}) return Spec{t["context.backgroundCtx"], 0x5a0000, {}, {}, {}};
  return Spec{t["*context.emptyCtx"], 0x5a0000, {}, {}, {}, GOTAP_IFACE_F_RECIPE, 1};
}

std::string Text(const Spec& root, const Types& t, IfaceRenderOptions o = {}) {
  std::string blob;
  Serialise(root, &blob);
  auto node =
      ParseIfaceBlob(Bytes(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()), t.Lookup());
  return node ? IfaceText(*node, o) : "<no node>";
}

// The layouts gotap copies, against the table of go-internals.md §7.
TEST(BuiltinShapes, ContextLayoutsPerGoVersion) {
  struct Row {
    std::pair<int, int> go;
    uint16_t cancel_size, err_at, timer_size, deadline_at;
    bool err_eface;
  };
  for (const Row& row :
       {Row{{1, 15}, 56, 40, 88, 64, false}, Row{{1, 19}, 64, 48, 96, 72, false},
        Row{{1, 20}, 80, 48, 40, 16, false}, Row{{1, 25}, 80, 48, 112, 88, true}}) {
    Types t(row.go);
    const ShapeRecipe& cancel = t.Shape("*context.cancelCtx");
    const ShapeRecipe& timer = t.Shape("*context.timerCtx");
    const ShapeRecipe& value = t.Shape("*context.valueCtx");
    SCOPED_TRACE(row.go.second);
    EXPECT_EQ(cancel.copy_len, row.cancel_size);
    // Since Go 1.20 the cause (an error) follows err.
    const bool cause = row.go >= std::pair{1, 20};
    const std::vector<uint16_t> cancel_children =
        cause ? std::vector<uint16_t>{0, row.err_at, static_cast<uint16_t>(row.err_at + 16)}
              : std::vector<uint16_t>{0, row.err_at};
    EXPECT_EQ(cancel.children, cancel_children);
    EXPECT_EQ(cancel.cause_child, cause ? 2 : -1);
    EXPECT_EQ(cancel.child_eface, row.err_eface ? 2 : 0);
    EXPECT_EQ(timer.copy_len, row.timer_size);
    EXPECT_EQ(timer.deadline_at, row.deadline_at);
    // Go 1.20 alone embeds a pointer to the cancelCtx in timerCtx.
    EXPECT_EQ(timer.child_ptr, row.go.second == 20 ? 1 : 0);
    EXPECT_EQ(timer.children.size(), row.go.second == 20 ? 1u : cause ? 3u : 2u);
    EXPECT_EQ(value.copy_len, 48);
    EXPECT_EQ(value.children, (std::vector<uint16_t>{0, 16, 32}));
    EXPECT_EQ(value.child_eface, 0b110);  // key and value are `any`
  }
  // Go >= 1.16 names io/fs.PathError; os.PathError is an alias of it.
  EXPECT_EQ(Types({1, 15}).Shape("*os.PathError").shape, Shape::kPathError);
  EXPECT_EQ(Types({1, 19}).Shape("*fs.PathError").shape, Shape::kPathError);
}

TEST(IfaceText, ContextChainInEveryLayout) {
  for (std::pair<int, int> go : {std::pair{1, 15}, {1, 19}, {1, 20}, {1, 23}, {1, 25}}) {
    SCOPED_TRACE(go.second);
    Types t(go);
    // 2030-01-02T03:04:05Z as time.Time without a monotonic reading: ext = seconds since year 1.
    Spec timer;
    if (go.second == 20) {
      timer = Spec{t["*context.timerCtx"], 0xc000007000, std::string(40, '\0'), {}, {}};
      Put(&timer.copy, 0, 0xc000008000);
      timer.children.emplace_back(
          0, CancelLike(t, "*context.cancelCtx", Background(t, go), std::nullopt));
    } else {
      timer = CancelLike(t, "*context.timerCtx", Background(t, go), std::nullopt);
    }
    uint16_t d = t.Shape("*context.timerCtx").deadline_at;
    Put(&timer.copy, d, 0);
    Put(&timer.copy, d + 8, 1893553445ull + 62135596800ull);
    Spec cancel =
        CancelLike(t, "*context.cancelCtx", std::move(timer), ErrorString(t, "context canceled"));
    Spec root = ValueCtx(t, std::move(cancel), StringValue(t, "string", "requestID"),
                         StringValue(t, "string", "abc-123"));
    Spec outer =
        ValueCtx(t, std::move(root), StringValue(t, "main.ctxKey", "user"), IntValue(t, 42));
    IfaceRenderOptions o;
    o.now_ns = (1893553445ull - 3600) * 1000000000ull;
    EXPECT_EQ(Text(outer, t, o),
              "context{value main.ctxKey(\"user\")=42 → value requestID=\"abc-123\" → "
              "cancel(done: context canceled) → timer(deadline 2030-01-02T03:04:05Z, in 1h0m, "
              "not done) → background}");
    o.ctx_key = "user";
    EXPECT_EQ(Text(outer, t, o), "user=42");
    o.ctx_key = "requestID";
    EXPECT_EQ(Text(outer, t, o), "requestID=\"abc-123\"");
    o.ctx_key = "nope";
    EXPECT_EQ(Text(outer, t, o), "<no nope>");
  }
}

TEST(IfaceText, ErrorsFollowWrappedErrors) {
  Types t({1, 19});
  EXPECT_EQ(Text(ErrorString(t, "plain failure"), t), "error(\"plain failure\")");
  Spec errno_value{t["syscall.Errno"], 0xc0000a0000, {}, {}, {}, GOTAP_IFACE_F_BASIC, 0};
  Put(&errno_value.copy, 0, 2);  // ENOENT
  Spec path{t["*fs.PathError"], 0xc0000b0000, std::string(48, '\0'), {"open", "/x"}, {}};
  Put(&path.copy, 8, 4);
  Put(&path.copy, 24, 2);
  Put(&path.copy, 32, 0x99);
  path.children.emplace_back(0, errno_value);
  Spec wrap{t["*fmt.wrapError"],
            0xc0000c0000,
            std::string(32, '\0'),
            {"startup: open /x: no such file or directory"},
            {}};
  Put(&wrap.copy, 8, wrap.strings[0].size());
  wrap.children.emplace_back(0, path);
  EXPECT_EQ(Text(path, t), "error(\"open /x: no such file or directory\")");
  EXPECT_EQ(Text(wrap, t), "error(\"startup: open /x: no such file or directory\")");
  EXPECT_EQ(Text(Spec{}, t), "nil");
}

TEST(IfaceText, CutWalksSayWhereTheyStopped) {
  Types t({1, 19});
  Spec cancel = CancelLike(t, "*context.cancelCtx", Background(t, {1, 19}), std::nullopt);
  std::string blob;
  Serialise(cancel, &blob);
  blob.resize(blob.size() - sizeof(gotap_iface_node));  // the parent's node did not fit
  auto node =
      ParseIfaceBlob(Bytes(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()), t.Lookup());
  ASSERT_TRUE(node.has_value());
  EXPECT_TRUE(node->children_missing);
  EXPECT_EQ(IfaceText(*node, {}), "context{cancel(done: ?) → …(truncated)}");

  Spec deep = CancelLike(t, "*context.cancelCtx", Background(t, {1, 19}), std::nullopt);
  deep.children.clear();
  deep.flags |= GOTAP_IFACE_F_DEPTH;
  EXPECT_EQ(Text(deep, t), "context{cancel(done: ?) → …(depth limit)}");

  Spec bad{t["*context.valueCtx"], 0xdead, {}, {}, {}, GOTAP_IFACE_F_RECIPE | GOTAP_IFACE_F_FAULT};
  EXPECT_EQ(Text(bad, t), "context{value → …(unreadable)}");
  Spec unknown{0x424242, 0xc000, {}, {}, {}, 0};
  EXPECT_EQ(Text(unknown, t), "<type 0x424242>(0xc000)");
}

// Blobs come from the kernel and describe target memory: any prefix of a real blob, and any
// bytes at all, parse without reading out of bounds and render to something.
TEST(ParseIfaceBlob, CutAndGarbageBlobs) {
  Types t({1, 19});
  Spec timer = CancelLike(t, "*context.timerCtx", Background(t, {1, 19}),
                          ErrorString(t, "context deadline exceeded"));
  Spec root = ValueCtx(t, std::move(timer), StringValue(t, "string", "k"), IntValue(t, 7));
  std::string blob;
  Serialise(root, &blob);
  for (size_t n = 0; n <= blob.size(); ++n) {
    auto node = ParseIfaceBlob(Bytes(reinterpret_cast<const uint8_t*>(blob.data()), n), t.Lookup());
    EXPECT_EQ(node.has_value(), n >= sizeof(gotap_iface_node)) << n;
    if (node) {
      EXPECT_FALSE(IfaceText(*node, {}).empty()) << n;
    }
  }
  uint32_t state = 12345;
  for (int round = 0; round < 200; ++round) {
    std::string junk(24 + round * 7, '\0');
    for (char& c : junk) {
      state = state * 1103515245 + 12345;
      c = static_cast<char>(state >> 16);
    }
    // Point some nodes at real types so that recipes are applied to junk.
    uint64_t type = t["*context.valueCtx"];
    std::memcpy(junk.data(), &type, 8);
    auto node = ParseIfaceBlob(Bytes(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()),
                               t.Lookup());
    ASSERT_TRUE(node.has_value());
    EXPECT_FALSE(IfaceText(*node, {}).empty());
    std::string json;
    JsonWriter w(&json);
    IfaceJson(*node, {}, &w);
    EXPECT_FALSE(json.empty());
  }
}

TEST(GoTime, WallAndMonotonicEncodings) {
  // Without a monotonic reading: ext holds seconds since January 1, year 1.
  EXPECT_EQ(GoTimeUnixNanos(5, 62135596800 + 10), 10 * 1000000000ll + 5);
  // With one: 33 bits of seconds since 1885 above 30 bits of nanoseconds.
  uint64_t secs_since_1885 = 1795307030ull + 2682288000ull;
  uint64_t wall = (1ull << 63) | (secs_since_1885 << 30) | 170204687;
  EXPECT_EQ(GoTimeUnixNanos(wall, 123456), 1795307030170204687ll);
  EXPECT_EQ(FormatUtc(1795307030170204687ll), "2026-11-22T00:23:50.170204687Z");
  EXPECT_EQ(FormatUtc(1893553445000000000ll), "2030-01-02T03:04:05Z");
}

}  // namespace
}  // namespace gotap::decode
