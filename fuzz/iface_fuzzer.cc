// decode::ParseIfaceBlob on what the BPF interface walk wrote (bpf/iface_intf.h), then the
// renderer (decode/iface_render.h) on every parsed node: text, JSON, error messages and
// context chains, with a TypeLookup whose types (iface_fuzz_types.h) carry the built-in shape
// recipes of the Go release the input picks.
//
// Input: byte 0 chooses the options (bits 0-2: Go release, kIfaceFuzzGoMinors; bit 3: render
// only the context key "requestID"; bit 4: a wall clock, for deadlines' time left; bit 5: an
// interface type word for JSON); the rest is the blob.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "decode/iface.h"
#include "decode/iface_render.h"
#include "fuzz_checks.h"
#include "iface_fuzz_types.h"

namespace gotap::fuzz {
namespace {

using decode::IfaceNode;
using decode::IfaceType;

// A Shape::kStruct recipe as gotap derives one from a struct's type data: an int, a string,
// an error (a nested interface), a nested struct and a bool; fields past `copy_len` when the
// struct is larger than the copy.
decode::ShapeRecipe StructShape(std::string name, uint16_t copy_len, uint64_t size) {
  using decode::RecipeField;
  decode::ShapeRecipe r;
  r.shape = decode::Shape::kStruct;
  r.type_name = std::move(name);
  r.copy_len = copy_len;
  r.struct_size = size;
  r.strings = {8};
  r.children = {24};
  RecipeField inner{
      .name = "Inner", .type_name = "main.Inner", .kind = 25, .offset = 40, .size = 16};
  inner.fields = {{.name = "A", .type_name = "uint8", .kind = 8, .offset = 40, .size = 1},
                  {.name = "B", .type_name = "float64", .kind = 14, .offset = 48, .size = 8}};
  r.fields = {
      {.name = "X", .type_name = "int", .kind = 2, .offset = 0, .size = 8},
      {.name = "Name",
       .type_name = "string",
       .kind = 24,
       .offset = 8,
       .size = 16,
       .string_index = 0},
      {.name = "Err", .type_name = "error", .kind = 20, .offset = 24, .size = 16, .child_index = 0},
      inner,
      {.name = "Ok", .type_name = "bool", .kind = 1, .offset = 56, .size = 1},
      {.name = "Far", .type_name = "int64", .kind = 6, .offset = 300, .size = 8}};
  return r;
}

// The types of one Go release, by slot; slots without an entry are unknown types.
class FuzzTypes {
 public:
  explicit FuzzTypes(int go_minor) : shapes_(decode::BuiltinShapes({1, go_minor})) {
    shapes_.push_back(StructShape("main.Config", 64, 64));
    shapes_.push_back(StructShape("*main.Huge", 256, 4096));
    for (const IfaceFuzzType& t : kIfaceFuzzTypes) {
      IfaceType type;
      type.name = t.name;
      type.kind = t.kind;
      type.size = t.size;
      type.direct = t.direct;
      for (const decode::ShapeRecipe& shape : shapes_) {
        if (shape.type_name == type.name) type.recipe = &shape;
      }
      types_.push_back(std::move(type));
    }
  }
  FuzzTypes(const FuzzTypes&) = delete;  // types_ point into shapes_

  const IfaceType* Lookup(uint64_t address) const {
    if (address >> 32 != 0) return nullptr;
    uint64_t slot = address % kIfaceFuzzTypeSlots;
    return slot < types_.size() ? &types_[slot] : nullptr;
  }

 private:
  std::vector<decode::ShapeRecipe> shapes_;
  std::vector<IfaceType> types_;
};

const FuzzTypes& TypesFor(int go_minor) {
  static const auto* all = [] {
    auto* v = new std::vector<const FuzzTypes*>();
    for (int minor : kIfaceFuzzGoMinors) v->push_back(new FuzzTypes(minor));
    return v;
  }();
  for (size_t i = 0; i < std::size(kIfaceFuzzGoMinors); ++i) {
    if (kIfaceFuzzGoMinors[i] == go_minor) return *(*all)[i];
  }
  std::abort();  // our own bug: go_minor comes from kIfaceFuzzGoMinors
}

// The parsed tree keeps the parser's contracts: types resolved through the lookup, children in
// recipe order, bounded depth, and no more bytes than the blob held.
void CheckTree(const IfaceNode& n, const decode::TypeLookup& lookup, int depth, size_t* bytes) {
  FUZZ_CHECK(depth <= GOTAP_IFACE_MAX_DEPTH + 2);
  FUZZ_CHECK(n.type == (n.type_addr != 0 ? lookup(n.type_addr) : nullptr));
  *bytes += sizeof(gotap_iface_node) + n.copy.size();
  for (const decode::IfaceString& s : n.strings) *bytes += 2 + s.bytes.size();
  int previous = -1;
  for (const auto& [index, child] : n.children) {
    FUZZ_CHECK(index > previous && index < GOTAP_IFACE_MAX_CHILDREN);
    previous = index;
    FUZZ_CHECK(n.Child(index) == &child);
    CheckTree(child, lookup, depth + 1, bytes);
  }
}

void CheckRender(const IfaceNode& n, const decode::IfaceRenderOptions& options, uint64_t word0) {
  std::string text = decode::IfaceText(n, options);
  FUZZ_CHECK(!text.empty());
  FUZZ_CHECK(TerminalSafe(text));
  auto message = decode::ErrorMessage(n);
  if (text.starts_with("error(\"")) FUZZ_CHECK(message.has_value());

  std::string json;
  JsonWriter writer(&json);
  decode::IfaceJson(n, options, &writer, word0);
  FUZZ_CHECK(IsJson(json));
  FUZZ_CHECK((n.type_addr == 0) == (json == "null"));
}

void RenderAll(const IfaceNode& n, const decode::IfaceRenderOptions& options, uint64_t word0) {
  CheckRender(n, options, word0);
  for (const auto& [index, child] : n.children) RenderAll(child, options, 0);
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  if (size < 1) return 0;
  const uint8_t config = data[0];
  const Bytes blob(data + 1, size - 1);
  const fuzz::FuzzTypes& types = fuzz::TypesFor(fuzz::kIfaceFuzzGoMinors[config & 7]);
  const decode::TypeLookup lookup = [&types](uint64_t address) { return types.Lookup(address); };

  std::optional<decode::IfaceNode> root = decode::ParseIfaceBlob(blob, lookup);
  FUZZ_CHECK(root.has_value() == (blob.size() >= sizeof(gotap_iface_node)));
  if (!root) return 0;
  size_t bytes = 0;
  fuzz::CheckTree(*root, lookup, 0, &bytes);
  FUZZ_CHECK(bytes <= blob.size());

  decode::IfaceRenderOptions options;
  if (config & 8) options.ctx_key = "requestID";
  if (config & 16) options.now_ns = 1795000000123456789;  // 2026-11-18
  const uint64_t word0 = (config & 32) ? 0x4b1f20 : 0;
  fuzz::RenderAll(*root, options, word0);

  // Deadlines are time.Time words straight from the copy: the first two words of the blob.
  uint64_t wall, ext;
  std::memcpy(&wall, blob.data(), 8);
  std::memcpy(&ext, blob.data() + 8, 8);
  std::string utc = decode::FormatUtc(decode::GoTimeUnixNanos(wall, static_cast<int64_t>(ext)));
  FUZZ_CHECK(fuzz::TerminalSafe(utc));
  return 0;
}
