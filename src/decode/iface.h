// Interface values as the BPF program walked them (bpf/iface_intf.h): each node's dynamic type,
// the bytes copied behind it, its strings and its nested interfaces; and the built-in "shapes"
// gotap knows how to lay out without DWARF: errors from the standard library and the context
// package's types, from their layouts per Go version (gobin/std_layouts.h, go-internals.md §7).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/byte_reader.h"
#include "bpf/gotap_intf.h"
#include "gobin/std_layouts.h"
#include "gobin/type_layout.h"

namespace gotap::decode {

enum class Shape {
  kNone,              // no recipe: a plain value (by kind) or only its type name
  kErrorString,       // *errors.errorString
  kWrapError,         // *fmt.wrapError
  kWrapErrors,        // *fmt.wrapErrors (Go >= 1.20); the wrapped errors are not followed
  kPathError,         // *io/fs.PathError (*os.PathError)
  kSyscallError,      // *os.SyscallError
  kOpError,           // *net.OpError
  kDeadlineExceeded,  // context.deadlineExceededError
  kEmptyCtx,          // *context.emptyCtx (Go <= 1.20): background or todo by address
  kBackgroundCtx,     // context.backgroundCtx (Go >= 1.21)
  kTodoCtx,           // context.todoCtx (Go >= 1.21)
  kValueCtx,
  kCancelCtx,
  kTimerCtx,
  kWithoutCancelCtx,
  kAfterFuncCtx,
  kStopCtx,
  kStruct,   // a struct (or pointer to one) of the program's own: fields from the type data
  kNetAddr,  // *net.TCPAddr / *net.UDPAddr {IP []byte, Port int, Zone string}: "ip:port"
};

bool IsContextShape(Shape s);
bool IsErrorShape(Shape s);

// One field of a Shape::kStruct recipe, read from the runtime type data (offsets are from the
// start of the copy; fields of a nested struct are listed in `fields`).
struct RecipeField {
  std::string name;       // "" for none; embedded fields carry their type's name
  std::string type_name;  // "int", "error", "*main.Point", "main.Point"
  uint8_t kind = 0;       // runtime kind (gobin::GoKind)
  uint64_t offset = 0;
  uint64_t size = 0;
  int string_index = -1;  // kind string: index into the recipe's strings, -1 if not followed
  int child_index = -1;   // kind interface: index into the recipe's children, -1 if not
  std::vector<RecipeField> fields;  // kind struct: its fields (bounded depth), else empty
};

// How a type with a built-in shape is copied (becomes a gotap_iface_recipe) and read back.
struct ShapeRecipe {
  Shape shape = Shape::kNone;
  std::string type_name;  // as the runtime names it: "*context.cancelCtx"
  uint16_t copy_len = 0;
  std::vector<uint16_t> strings;   // string headers in the copy
  std::vector<uint16_t> children;  // nested interfaces in the copy
  uint8_t child_eface = 0;         // bit i: children[i] is an eface
  // bit i: children[i] is one pointer word, walked as a value of type child_types[i] (a link-time
  // _type vaddr: *T, or T itself for a struct or plain value), else child_ptr_type (a "*T"
  // name, resolved by the caller of ToRecipe)
  uint8_t child_ptr = 0;
  std::vector<uint64_t> child_types;
  std::string child_ptr_type;
  uint16_t deadline_at = 0;  // kTimerCtx: time.Time {wall, ext, loc} in the copy
  int err_child = -1;        // cancel-like contexts: which child is the error
  int cause_child = -1;      // cancel-like contexts since Go 1.20: which child is the cause
  // kEmptyCtx: names of the pointer variables identifying background and todo.
  std::vector<std::string> ident_vars;
  // kStruct: the fields, and the struct's size (the copy holds min(size, copy_len) bytes; a
  // larger struct was cut at GOTAP_IFACE_MAX_COPY).
  std::vector<RecipeField> fields;
  uint64_t struct_size = 0;

  // `ptr_type` is the link-time address of the type named child_ptr_type (0 if none).
  gotap_iface_recipe ToRecipe(uint16_t str_max, uint64_t child_ptr_type = 0) const;
};

// The shapes for these layouts (a binary's: gobin::RuntimeModel::std_layouts()).
std::vector<ShapeRecipe> BuiltinShapes(const gobin::StdLayouts& layouts);
// The shapes for a Go release {1, minor}: gobin::StdLayoutsForVersion's.
std::vector<ShapeRecipe> BuiltinShapes(std::pair<int, int> go_version);

// The runtime kind numbers decode compares IfaceType::kind and RecipeField::kind with: bytes of
// gobin::GoKind (gobin/type_layout.h), their one home.
struct RtKind {
  static constexpr uint8_t kBool = gobin::KindByte(gobin::GoKind::kBool);
  static constexpr uint8_t kInt = gobin::KindByte(gobin::GoKind::kInt);
  static constexpr uint8_t kInt64 = gobin::KindByte(gobin::GoKind::kInt64);
  static constexpr uint8_t kUint = gobin::KindByte(gobin::GoKind::kUint);
  static constexpr uint8_t kUint64 = gobin::KindByte(gobin::GoKind::kUint64);
  static constexpr uint8_t kUintptr = gobin::KindByte(gobin::GoKind::kUintptr);
  static constexpr uint8_t kFloat32 = gobin::KindByte(gobin::GoKind::kFloat32);
  static constexpr uint8_t kFloat64 = gobin::KindByte(gobin::GoKind::kFloat64);
  static constexpr uint8_t kArray = gobin::KindByte(gobin::GoKind::kArray);
  static constexpr uint8_t kChan = gobin::KindByte(gobin::GoKind::kChan);
  static constexpr uint8_t kFunc = gobin::KindByte(gobin::GoKind::kFunc);
  static constexpr uint8_t kInterface = gobin::KindByte(gobin::GoKind::kInterface);
  static constexpr uint8_t kMap = gobin::KindByte(gobin::GoKind::kMap);
  static constexpr uint8_t kPointer = gobin::KindByte(gobin::GoKind::kPointer);
  static constexpr uint8_t kSlice = gobin::KindByte(gobin::GoKind::kSlice);
  static constexpr uint8_t kString = gobin::KindByte(gobin::GoKind::kString);
  static constexpr uint8_t kStruct = gobin::KindByte(gobin::GoKind::kStruct);
  static constexpr uint8_t kUnsafePointer = gobin::KindByte(gobin::GoKind::kUnsafePointer);
};

// What userspace knows about a runtime type address.
struct IfaceType {
  std::string name;
  uint8_t kind = 0;  // runtime kind (gobin::GoKind), 0 if unknown
  uint64_t size = 0;
  bool direct = false;                  // the data word is the value
  const ShapeRecipe* recipe = nullptr;  // null: no built-in shape
  bool struct_like = false;             // a struct of nonzero size, or a pointer to one
};
// Resolves a runtime _type address; nullptr when it is not a type of the traced binary.
using TypeLookup = std::function<const IfaceType*(uint64_t runtime_type)>;

struct IfaceString {
  std::string bytes;
  uint64_t length = 0;  // the string's length in the target
  bool read_failed = false;
};

struct IfaceNode {
  // User-provided: with an implicit one, clang 14 + libstdc++ 12 cannot instantiate
  // std::pair<int, IfaceNode> (a cycle through pair's explicit(bool) default constructor), and
  // the fuzzers (fuzz/, clang) do not compile.
  IfaceNode() {}  // NOLINT(modernize-use-equals-default)

  uint64_t type_addr = 0;  // 0: nil (or unreadable, see flags)
  uint64_t data = 0;
  const IfaceType* type = nullptr;  // null: type_addr not resolved
  std::string copy;                 // bytes read from the data pointer
  std::vector<IfaceString> strings;
  // Recipe child index -> node. Nil children have no entry.
  std::vector<std::pair<int, IfaceNode>> children;
  uint8_t flags = 0;  // enum gotap_iface_node_flags
  uint8_t ident = 0;
  bool children_missing = false;  // the walk stopped before this node's children

  // Why children the recipe names are not here (the walk's bound it met): "depth", "count"
  // (nodes or pending values) or "bytes" (the capture area's budget); "" when none is missing.
  const char* missing = "";

  const IfaceNode* Child(int index) const;
  uint64_t Word(uint64_t offset) const;  // 0 if not copied
};

// Parses the nodes the BPF program wrote for one interface; nullopt if the blob is empty.
// A blob cut short yields the nodes it holds, with children_missing set where it ended.
std::optional<IfaceNode> ParseIfaceBlob(Bytes blob, const TypeLookup& lookup);

}  // namespace gotap::decode
