#include "decode/iface.h"

#include <cstring>
#include <functional>

namespace gotap::decode {

bool IsContextShape(Shape s) { return s >= Shape::kEmptyCtx && s <= Shape::kStopCtx; }

bool IsErrorShape(Shape s) { return s != Shape::kNone && s <= Shape::kDeadlineExceeded; }

gotap_iface_recipe ShapeRecipe::ToRecipe(uint16_t str_max, uint64_t ptr_type) const {
  gotap_iface_recipe r{};
  for (size_t i = 0; i < children.size() && i < GOTAP_IFACE_MAX_CHILDREN; ++i) {
    if (!((child_ptr >> i) & 1)) continue;
    uint64_t type = i < child_types.size() && child_types[i] != 0 ? child_types[i] : ptr_type;
    if (type == 0) continue;  // a pointer child of a type the binary lacks: not walked
    r.child_ptr |= static_cast<uint8_t>(1u << i);
    r.child_type[i] = type;
  }
  r.copy_len = copy_len;
  r.str_max = str_max;
  r.nstrings = static_cast<uint8_t>(strings.size());
  r.nchildren = static_cast<uint8_t>(children.size());
  r.child_eface = child_eface;
  for (size_t i = 0; i < strings.size() && i < GOTAP_IFACE_MAX_STRINGS; ++i) {
    r.str_off[i] = strings[i];
  }
  for (size_t i = 0; i < children.size() && i < GOTAP_IFACE_MAX_CHILDREN; ++i) {
    r.child_off[i] = children[i];
  }
  return r;
}

std::vector<ShapeRecipe> BuiltinShapes(std::pair<int, int> go_version) {
  return BuiltinShapes(gobin::StdLayoutsForVersion(go_version));
}

std::vector<ShapeRecipe> BuiltinShapes(const gobin::StdLayouts& l) {
  std::vector<ShapeRecipe> out;
  auto add = [&](Shape shape, std::string name, uint16_t copy_len, std::vector<uint16_t> strings,
                 std::vector<uint16_t> children, uint8_t eface = 0) -> ShapeRecipe& {
    ShapeRecipe r;
    r.shape = shape;
    r.type_name = std::move(name);
    r.copy_len = copy_len;
    r.strings = std::move(strings);
    r.children = std::move(children);
    r.child_eface = eface;
    out.push_back(std::move(r));
    return out.back();
  };
  // Errors: layouts unchanged since Go 1.13 (errorString{s}, wrapError{msg, err},
  // PathError{Op, Path, Err}, SyscallError{Syscall, Err}, OpError{Op, Net, Source, Addr, Err});
  // PathError's package is the release's (gobin/std_layouts.h).
  add(Shape::kErrorString, "*errors.errorString", 16, {0}, {});
  add(Shape::kWrapError, "*fmt.wrapError", 32, {0}, {16});
  add(Shape::kWrapErrors, "*fmt.wrapErrors", 16, {0}, {});
  add(Shape::kPathError, l.path_error_type, 48, {0, 16}, {32});
  add(Shape::kSyscallError, "*os.SyscallError", 32, {0}, {16});
  // Children: Source, Addr, Err.
  add(Shape::kOpError, "*net.OpError", 80, {0, 16}, {32, 48, 64});
  // The IP slice's header starts like a string header {ptr, len}: following it copies the bytes.
  add(Shape::kNetAddr, "*net.TCPAddr", 48, {0, 32}, {});
  add(Shape::kNetAddr, "*net.UDPAddr", 48, {0, 32}, {});
  add(Shape::kDeadlineExceeded, "context.deadlineExceededError", 0, {}, {});

  // Contexts (go-internals.md §7). Every one holds its parent at offset 0.
  const uint8_t err_eface = l.cancel_err_is_eface ? 2 : 0;  // child 1, err
  add(Shape::kValueCtx, "*context.valueCtx", l.value_ctx_size, {}, {0, 16, 32}, 0b110);
  std::vector<uint16_t> cancel_children = {0, l.cancel_err_at};
  if (l.cancel_has_cause) cancel_children.push_back(static_cast<uint16_t>(l.cancel_err_at + 16));
  auto cancel_like = [&](ShapeRecipe& r) {
    r.err_child = 1;
    if (l.cancel_has_cause) r.cause_child = 2;
  };
  cancel_like(
      add(Shape::kCancelCtx, "*context.cancelCtx", l.cancel_size, {}, cancel_children, err_eface));
  if (l.timer_points_to_cancel) {
    add(Shape::kTimerCtx, "*context.timerCtx", l.timer_ptr_size, {}, {0});
    out.back().deadline_at = l.timer_ptr_deadline_at;
    out.back().child_ptr = 1;
    out.back().child_ptr_type = "*context.cancelCtx";
  } else {
    // time.Time {wall, ext, loc} ends the copy.
    add(Shape::kTimerCtx, "*context.timerCtx", l.timer_deadline_at + 24, {}, cancel_children,
        err_eface);
    out.back().deadline_at = l.timer_deadline_at;
    cancel_like(out.back());
  }
  if (l.has_go121_contexts) {
    add(Shape::kBackgroundCtx, "context.backgroundCtx", 0, {}, {});
    add(Shape::kTodoCtx, "context.todoCtx", 0, {}, {});
    add(Shape::kWithoutCancelCtx, "context.withoutCancelCtx", l.without_cancel_size, {}, {0});
    cancel_like(add(Shape::kAfterFuncCtx, "*context.afterFuncCtx", l.cancel_size, {},
                    cancel_children, err_eface));
    add(Shape::kStopCtx, "context.stopCtx", l.stop_ctx_size, {}, {0});
  } else {
    add(Shape::kEmptyCtx, "*context.emptyCtx", 0, {}, {}).ident_vars = {"context.background",
                                                                        "context.todo"};
  }
  return out;
}

const IfaceNode* IfaceNode::Child(int index) const {
  for (const auto& [i, node] : children) {
    if (i == index) return &node;
  }
  return nullptr;
}

uint64_t IfaceNode::Word(uint64_t offset) const {
  uint64_t w = 0;
  if (offset <= copy.size() && copy.size() - offset >= 8) std::memcpy(&w, copy.data() + offset, 8);
  return w;
}

namespace {

constexpr int kMaxParseDepth = GOTAP_IFACE_MAX_DEPTH + 2;

// Parses one node and its children from `r` at *pos. False when the blob ends first (what was
// parsed so far stays in `node`).
bool ParseNode(const ByteReader& r, uint64_t* pos, const TypeLookup& lookup, int depth,
               IfaceNode* node) {
  auto header = r.Sub(*pos, sizeof(gotap_iface_node));
  if (!header || depth > kMaxParseDepth) return false;
  gotap_iface_node h;
  std::memcpy(&h, header->data(), sizeof(h));
  *pos += sizeof(h);
  node->type_addr = h.type;
  node->data = h.data;
  node->flags = h.flags;
  node->ident = h.ident;
  node->type = h.type != 0 && lookup ? lookup(h.type) : nullptr;
  auto copy = r.Sub(*pos, h.copied);
  if (!copy) return false;
  node->copy.assign(reinterpret_cast<const char*>(copy->data()), copy->size());
  *pos += h.copied;
  const ShapeRecipe* recipe = node->type ? node->type->recipe : nullptr;
  for (int i = 0; i < h.nstrings; ++i) {
    auto n = r.U16(*pos);
    if (!n) return false;
    auto bytes = r.Sub(*pos + 2, *n);
    if (!bytes) return false;
    *pos += 2 + *n;
    IfaceString s;
    s.bytes.assign(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    // The header's offset: the recipe's, or 0 for a plain string value.
    uint64_t header_at = recipe && static_cast<size_t>(i) < recipe->strings.size()
                             ? recipe->strings[static_cast<size_t>(i)]
                             : 0;
    s.length = node->Word(header_at + 8);
    s.read_failed = *n == 0 && s.length > 0;
    node->strings.push_back(std::move(s));
  }
  for (int i = 0; i < GOTAP_IFACE_MAX_CHILDREN; ++i) {
    if (!(h.child_mask & (1 << i))) continue;
    node->children.emplace_back(i, IfaceNode{});
    if (!ParseNode(r, pos, lookup, depth + 1, &node->children.back().second)) {
      // A child whose header did not fit is not there at all (nil children have no node).
      const IfaceNode& child = node->children.back().second;
      if (child.type_addr == 0 && child.flags == 0) node->children.pop_back();
      node->children_missing = true;
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<IfaceNode> ParseIfaceBlob(Bytes blob, const TypeLookup& lookup) {
  if (blob.size() < sizeof(gotap_iface_node)) return std::nullopt;
  ByteReader r(blob);
  uint64_t pos = 0;
  IfaceNode root;
  ParseNode(r, &pos, lookup, 0, &root);
  // The reasons the probe gave: per node for depth and pending values, on the root for the
  // walk's end (its node count or byte budget).
  const char* walk_end = (root.flags & GOTAP_IFACE_F_CUT_NODES) ? "count" : "bytes";
  std::function<void(IfaceNode&)> mark = [&](IfaceNode& n) {
    if (n.flags & GOTAP_IFACE_F_DEPTH) {
      n.missing = "depth";
    } else if (n.flags & GOTAP_IFACE_F_PENDING) {
      n.missing = "count";
    } else if (n.children_missing) {
      n.missing = walk_end;
    }
    for (auto& [index, child] : n.children) mark(child);
  };
  mark(root);
  return root;
}

}  // namespace gotap::decode
