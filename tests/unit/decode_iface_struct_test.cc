// Rendering the program's own structs behind interfaces (Shape::kStruct) and the addresses of
// *net.OpError, from blobs built the way the BPF program writes them (bpf/iface_intf.h): a node,
// the bytes copied by the recipe, its strings, then its non-nil children in order.
#include "decode/iface_struct.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "decode/iface_render.h"
#include "iface_blob.h"

namespace gotap::decode {
namespace {

constexpr uint8_t kIntKind = 2, kUint16Kind = 9, kFloat64Kind = 14, kArrayKind = 17,
                  kInterfaceKind = 20, kMapKind = 21, kPointerKind = 22, kSliceKind = 23,
                  kStringKind = 24, kStructKind = 25, kUintptrKind = 12;

using blob::Put;
using blob::Serialise;
using blob::Spec;

RecipeField Field(std::string name, std::string type, uint8_t kind, uint64_t offset, uint64_t size,
                  int string_index = -1, int child_index = -1) {
  RecipeField f;
  f.name = std::move(name);
  f.type_name = std::move(type);
  f.kind = kind;
  f.offset = offset;
  f.size = size;
  f.string_index = string_index;
  f.child_index = child_index;
  return f;
}

// A pretend binary: Go 1.19's built-in shapes, main.MyErr{Code int; Msg string; Err error},
// a 344-byte main.Big cut at 256 bytes, and the plain types the values need.
class Types {
 public:
  Types() : shapes_(BuiltinShapes({1, 19})) {
    uint64_t addr = 0x1000;
    for (const ShapeRecipe& s : shapes_) Add(s.type_name, 0, 0, &s, addr += 0x100);
    my_err_.shape = big_.shape = Shape::kStruct;
    my_err_.type_name = "*main.MyErr";
    my_err_.copy_len = my_err_.struct_size = 40;
    my_err_.strings = {8};
    my_err_.children = {24};
    my_err_.fields = {Field("Code", "int", kIntKind, 0, 8),
                      Field("Msg", "string", kStringKind, 8, 16, 0),
                      Field("Err", "error", kInterfaceKind, 24, 16, -1, 0)};
    Add("*main.MyErr", kPointerKind, 8, &my_err_, 0x8000);
    big_.type_name = "main.Big";
    big_.copy_len = 256;
    big_.struct_size = 344;
    big_.strings = {8};
    RecipeField at = Field("At", "main.Point", kStructKind, 24, 16);
    at.fields = {Field("X", "int", kIntKind, 24, 8), Field("Y", "int", kIntKind, 32, 8)};
    big_.fields = {Field("Count", "uint16", kUint16Kind, 0, 2),
                   Field("Title", "string", kStringKind, 8, 16, 0),
                   at,
                   Field("Ratio", "float64", kFloat64Kind, 40, 8),
                   Field("Index", "map[string]int", kMapKind, 48, 8),
                   Field("Next", "*main.Point", kPointerKind, 56, 8),
                   Field("Tags", "[]string", kSliceKind, 64, 24),
                   Field("Pad", "[100]uint8", kArrayKind, 88, 100),
                   Field("Mid", "string", kStringKind, 248, 16),  // half copied
                   Field("Tail", "string", kStringKind, 288, 16)};
    Add("main.Big", kStructKind, 344, &big_, 0x8100);
    // main.Node{Val int; Next *main.Node}: the pointer field is recipe child 0, walked as a
    // main.Node (the pointee) as the probe walks pointers.
    node_.shape = Shape::kStruct;
    node_.type_name = "main.Node";
    node_.copy_len = node_.struct_size = 16;
    node_.children = {8};
    node_.child_ptr = 1;
    node_.fields = {Field("Val", "int", kIntKind, 0, 8),
                    Field("Next", "*main.Node", kPointerKind, 8, 8, -1, 0)};
    Add("main.Node", kStructKind, 16, &node_, 0x8200);
    Add("int", kIntKind, 8, nullptr, 0x9000);
    Add("syscall.Errno", kUintptrKind, 8, nullptr, 0x9100);
  }
  uint64_t operator[](const std::string& name) const { return by_name_.at(name); }
  TypeLookup Lookup() const {
    return [this](uint64_t a) -> const IfaceType* {
      auto it = types_.find(a);
      return it == types_.end() ? nullptr : &it->second;
    };
  }

 private:
  void Add(const std::string& name, uint8_t kind, uint64_t size, const ShapeRecipe* r,
           uint64_t addr) {
    types_[addr] = IfaceType{name, kind, size, false, r};
    by_name_[name] = addr;
  }
  std::vector<ShapeRecipe> shapes_;
  ShapeRecipe my_err_, big_, node_;
  std::map<uint64_t, IfaceType> types_;
  std::map<std::string, uint64_t> by_name_;
};

IfaceNode Parse(const Spec& root, const Types& t) {
  std::string blob;
  Serialise(root, &blob);
  auto node =
      ParseIfaceBlob(Bytes(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()), t.Lookup());
  EXPECT_TRUE(node.has_value());
  return node.value_or(IfaceNode{});
}

std::string Text(const Spec& root, const Types& t) { return IfaceText(Parse(root, t), {}); }

std::string Json(const Spec& root, const Types& t) {
  std::string out;
  JsonWriter w(&out);
  IfaceJson(Parse(root, t), {}, &w);
  return out;
}

Spec ErrorString(const Types& t, const std::string& msg) {
  Spec e{t["*errors.errorString"], 0xc000003000, {}, {msg}, {}};
  Put(&e.copy, 0, 0xc000004000);
  Put(&e.copy, 8, msg.size());
  return e;
}

Spec MyErr(const Types& t, int64_t code, const std::string& msg, std::optional<Spec> err) {
  Spec s{t["*main.MyErr"], 0xc000020000, std::string(40, '\0'), {msg}, {}};
  Put(&s.copy, 0, static_cast<uint64_t>(code));
  Put(&s.copy, 8, 0xc000021000);
  Put(&s.copy, 16, msg.size());
  if (err) {
    Put(&s.copy, 24, 0x4d0000);  // the itab
    s.children.emplace_back(0, std::move(*err));
  }
  return s;
}

TEST(IfaceStruct, CustomErrorShowsItsFieldsAndWrappedError) {
  Types t;
  Spec e = MyErr(t, 7, "boom", ErrorString(t, "inner"));
  EXPECT_EQ(Text(e, t), "*main.MyErr{Code:7, Msg:\"boom\", Err:error(\"inner\")}");
  EXPECT_EQ(Json(e, t),
            "{\"type\":\"*main.MyErr\",\"data\":\"0xc000020000\",\"text\":\"*main.MyErr{Code:7, "
            "Msg:\\\"boom\\\", Err:error(\\\"inner\\\")}\",\"fields\":{\"Code\":7,\"Msg\":\"boom\","
            "\"Err\":{\"type\":\"*errors.errorString\",\"data\":\"0xc000003000\",\"error\":"
            "\"inner\"}}}");
  EXPECT_EQ(Text(MyErr(t, -1, "", std::nullopt), t), "*main.MyErr{Code:-1, Msg:\"\", Err:nil}");
  // A custom error inside a custom error.
  EXPECT_EQ(Text(MyErr(t, 1, "a", MyErr(t, 2, "b", std::nullopt)), t),
            "*main.MyErr{Code:1, Msg:\"a\", Err:*main.MyErr{Code:2, Msg:\"b\", Err:nil}}");
}

TEST(IfaceStruct, WalkCutShortOrUnreadable) {
  Types t;
  Spec e = MyErr(t, 7, "boom", std::nullopt);
  Put(&e.copy, 24, 0x4d0000);  // Err set, but its node is not in the blob
  EXPECT_EQ(Text(e, t), "*main.MyErr{Code:7, Msg:\"boom\", Err:error(…)}");
  Spec unread{
      t["*main.MyErr"], 0xc000020000, {}, {}, {}, GOTAP_IFACE_F_RECIPE | GOTAP_IFACE_F_FAULT};
  EXPECT_EQ(Text(unread, t), "*main.MyErr(<unreadable>)");
  EXPECT_FALSE(StructText(Parse(unread, t), nullptr).has_value());
}

TEST(IfaceStruct, CutStructNestedFieldsAndKindsWithoutValues) {
  Types t;
  Spec big{t["main.Big"], 0xc000030000, std::string(256, '\0'), {"big"}, {}};
  Put(&big.copy, 0, 0xffff0003);  // Count: only the low 2 bytes are the field
  Put(&big.copy, 8, 0xc000031000);
  Put(&big.copy, 16, 3);
  Put(&big.copy, 24, 5);
  Put(&big.copy, 32, static_cast<uint64_t>(-6));
  double ratio = 0.5;
  std::memcpy(big.copy.data() + 40, &ratio, 8);
  Put(&big.copy, 48, 0xc000040000);  // Index; Next stays nil
  Put(&big.copy, 64, 0xc000050000);
  Put(&big.copy, 72, 2);
  EXPECT_EQ(Text(big, t),
            "main.Big{Count:3, Title:\"big\", At:main.Point{X:5, Y:-6}, Ratio:0.5, "
            "Index:map[string]int(0xc000040000), Next:nil, Tags:[]string(len 2), "
            "Pad:[100]uint8{…}, Mid:…, …(cut: bytes, 256 of 344)}");
  std::string json = Json(big, t);
  EXPECT_NE(json.find("\"fields\":{\"Count\":3,\"Title\":\"big\",\"At\":{\"X\":5,\"Y\":-6},"
                      "\"Ratio\":0.5,\"Index\":\"map[string]int(0xc000040000)\",\"Next\":null,"
                      "\"Tags\":\"[]string(len "
                      "2)\",\"Pad\":\"[100]uint8{…}\",\"Mid\":null},\"cut\":\"bytes\"}"),
            std::string::npos)
      << json;
}

// net.TCPAddr{IP []byte, Port int, Zone string}: the IP's bytes were copied as a string.
Spec Addr(const Types& t, const std::string& type, const std::string& ip, int64_t port,
          const std::string& zone = "") {
  Spec a{t[type], 0xc000060000, std::string(48, '\0'), {ip, zone}, {}};
  Put(&a.copy, 0, 0xc000061000);
  Put(&a.copy, 8, ip.size());
  Put(&a.copy, 24, static_cast<uint64_t>(port));
  Put(&a.copy, 32, zone.empty() ? 0 : 0xc000062000);
  Put(&a.copy, 40, zone.size());
  return a;
}

// net.OpError{Op, Net string; Source, Addr Addr; Err error}: children Source, Addr, Err.
Spec OpError(const Types& t, std::optional<Spec> source, std::optional<Spec> addr, Spec err,
             const std::string& op = "dial", const std::string& net = "tcp") {
  Spec e{t["*net.OpError"], 0xc000070000, std::string(80, '\0'), {op, net}, {}};
  Put(&e.copy, 8, op.size());
  Put(&e.copy, 24, net.size());
  if (source) {
    Put(&e.copy, 32, 0x4e0000);
    e.children.emplace_back(0, std::move(*source));
  }
  if (addr) {
    Put(&e.copy, 48, 0x4e0000);
    e.children.emplace_back(1, std::move(*addr));
  }
  Put(&e.copy, 64, 0x4f0000);
  e.children.emplace_back(2, std::move(err));
  return e;
}

Spec SyscallError(const Types& t, const std::string& call, uint64_t errno_value) {
  Spec errno_node{t["syscall.Errno"], 0x6f, {}, {}, {}, GOTAP_IFACE_F_BASIC};
  Put(&errno_node.copy, 0, errno_value);
  Spec s{t["*os.SyscallError"], 0xc000080000, std::string(32, '\0'), {call}, {}};
  Put(&s.copy, 8, call.size());
  Put(&s.copy, 16, 0x4f1000);
  s.children.emplace_back(0, std::move(errno_node));
  return s;
}

TEST(IfaceStruct, OpErrorSpellsLikeItsErrorMethod) {
  Types t;
  const std::string v4in6("\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16);
  Spec refused =
      OpError(t, std::nullopt, Addr(t, "*net.TCPAddr", v4in6, 1), SyscallError(t, "connect", 111));
  EXPECT_EQ(Text(refused, t), "error(\"dial tcp 127.0.0.1:1: connect: connection refused\")");
  EXPECT_NE(Json(refused, t).find("\"error\":\"dial tcp 127.0.0.1:1: connect: connection refused"),
            std::string::npos);
  // Both addresses: "src->dst"; IPv6 in brackets, with its zone.
  const std::string v6("\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  Spec both = OpError(t, Addr(t, "*net.UDPAddr", v6, 5353, "eth0"),
                      Addr(t, "*net.UDPAddr", std::string("\x0a\0\0\x02", 4), 53),
                      ErrorString(t, "i/o timeout"), "read", "udp");
  EXPECT_EQ(Text(both, t), "error(\"read udp [fe80::1%eth0]:5353->10.0.0.2:53: i/o timeout\")");
  // No network and no address (as for a listener's accept errors).
  Spec bare = OpError(t, std::nullopt, std::nullopt, ErrorString(t, "closed"), "accept", "");
  EXPECT_EQ(Text(bare, t), "error(\"accept: closed\")");
  // The address word is set but the walk did not reach it.
  Spec cut = OpError(t, std::nullopt, std::nullopt, ErrorString(t, "x"));
  Put(&cut.copy, 48, 0x4e0000);
  EXPECT_EQ(Text(cut, t), "error(\"dial tcp <not captured>: x\")");
  // An address alone.
  EXPECT_EQ(Text(Addr(t, "*net.TCPAddr", std::string("\x7f\0\0\x01", 4), 8080), t),
            "*net.TCPAddr(127.0.0.1:8080)");
  EXPECT_EQ(NetAddrText(Parse(Addr(t, "*net.TCPAddr", "", 80), t)), ":80");
  EXPECT_EQ(NetAddrText(Parse(Addr(t, "*net.TCPAddr", "abc", 80), t)), "?616263:80");
}

}  // namespace
}  // namespace gotap::decode

namespace gotap::decode {
namespace {

// A list node at `data` holding `val`, pointing to `next` (0: nil).
Spec ListNode(const Types& t, uint64_t data, int64_t val, uint64_t next) {
  Spec n{t["main.Node"], data, {}, {}, {}};
  Put(&n.copy, 0, static_cast<uint64_t>(val));
  Put(&n.copy, 8, next);
  return n;
}

TEST(IfaceStruct, PointerFieldsAreFollowedAndCutsSayWhy) {
  Types t;
  Spec third = ListNode(t, 0xc000003000, 3, 0);
  Spec second = ListNode(t, 0xc000002000, 2, 0xc000003000);
  second.children.emplace_back(0, third);
  Spec first = ListNode(t, 0xc000001000, 1, 0xc000002000);
  first.children.emplace_back(0, second);
  IfaceNode whole = Parse(first, t);
  EXPECT_EQ(PointeeText(whole, {}),
            "&main.Node{Val:1, Next:&main.Node{Val:2, Next:&main.Node{Val:3, Next:nil}}}");

  // The probe's depth bound: the second node's child was not walked.
  Spec deep_second = ListNode(t, 0xc000002000, 2, 0xc000003000);
  deep_second.flags |= GOTAP_IFACE_F_DEPTH;
  Spec deep = ListNode(t, 0xc000001000, 1, 0xc000002000);
  deep.children.emplace_back(0, deep_second);
  EXPECT_EQ(PointeeText(Parse(deep, t), {}),
            "&main.Node{Val:1, Next:&main.Node{Val:2, Next:(*main.Node)(0xc000003000 cut: "
            "depth)}}");
  std::string json;
  JsonWriter w(&json);
  IfaceJson(Parse(deep, t), {}, &w);
  EXPECT_NE(json.find("\"Next\":{\"type\":\"*main.Node\",\"data\":\"0xc000003000\",\"cut\":"
                      "\"depth\"}"),
            std::string::npos)
      << json;

  // The walk ended at its node count: the child's node is missing from the blob.
  Spec counted = ListNode(t, 0xc000001000, 1, 0xc000002000);
  counted.flags |= GOTAP_IFACE_F_CUT_NODES;
  std::string blob;
  blob::Serialise(counted, &blob);
  blob[offsetof(gotap_iface_node, child_mask)] = 1;  // the child the walk did not write
  auto cut =
      ParseIfaceBlob(Bytes(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()), t.Lookup());
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(PointeeText(*cut, {}), "&main.Node{Val:1, Next:(*main.Node)(0xc000002000 cut: count)}");

  // A nil pointer, an unreadable one, and one whose pointee has no recipe.
  EXPECT_EQ(PointeeText(IfaceNode{}, {}), "nil");
  Spec fault{t["main.Node"], 0xc000009000, {}, {}, {}};
  fault.flags = GOTAP_IFACE_F_FAULT;
  EXPECT_EQ(PointeeText(Parse(fault, t), {}), "(*main.Node)(0xc000009000 <unreadable>)");
  Spec bare{t["main.Big"], 0xc000008000, {}, {}, {}};
  bare.flags = 0;
  EXPECT_EQ(PointeeText(Parse(bare, t), {}), "(*main.Big)(0xc000008000)");
}

}  // namespace
}  // namespace gotap::decode
