// The dynamic types iface_fuzzer's TypeLookup knows, shared with seed_maker (which writes blobs
// that name them). A runtime type address below 2^32 resolves to entry `address % 64` when there
// is one; any other address is a type the traced binary does not have. Seeds use
// kIfaceFuzzTypeBase + index. Plain C++ only: seed_maker links no gotap library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gotap::fuzz {

struct IfaceFuzzType {
  const char* name;  // runtime spelling; entries named like a built-in shape get its recipe
  uint8_t kind;      // runtime kind (gobin::GoKind)
  uint64_t size;
  bool direct;  // the data word is the value
};

inline constexpr uint64_t kIfaceFuzzTypeBase = 0x4a0000;  // a multiple of 64
inline constexpr uint64_t kIfaceFuzzTypeSlots = 64;

// Shapes missing from a Go version's BuiltinShapes (e.g. context.backgroundCtx before 1.21)
// resolve to a type without a recipe.
inline constexpr IfaceFuzzType kIfaceFuzzTypes[] = {
    {"*errors.errorString", 22, 8, true},
    {"*fmt.wrapError", 22, 8, true},
    {"*fmt.wrapErrors", 22, 8, true},
    {"*fs.PathError", 22, 8, true},
    {"*os.PathError", 22, 8, true},
    {"*os.SyscallError", 22, 8, true},
    {"*net.OpError", 22, 8, true},
    {"context.deadlineExceededError", 25, 0, false},
    {"*context.emptyCtx", 22, 8, true},
    {"context.backgroundCtx", 25, 0, false},
    {"context.todoCtx", 25, 0, false},
    {"*context.valueCtx", 22, 8, true},
    {"*context.cancelCtx", 22, 8, true},
    {"*context.timerCtx", 22, 8, true},
    {"context.withoutCancelCtx", 25, 16, false},
    {"*context.afterFuncCtx", 22, 8, true},
    {"context.stopCtx", 25, 24, false},
    {"string", 24, 16, false},
    {"int", 2, 8, false},
    {"int8", 3, 1, false},
    {"int32", 5, 4, false},
    {"uint16", 9, 2, false},
    {"uint64", 11, 8, false},
    {"uintptr", 12, 8, false},
    {"float32", 13, 4, false},
    {"float64", 14, 8, false},
    {"bool", 1, 1, false},
    {"main.ctxKey", 24, 16, false},
    {"syscall.Errno", 12, 8, false},
    {"*main.T", 22, 8, true},
    {"main.Big", 25, 64, false},
    // What a malformed binary's type data can claim: numbers stored in the data word, a string
    // of the wrong size, a kind past the last one.
    {"main.directInt", 2, 8, true},
    {"main.directUint", 7, 8, true},
    {"main.shortString", 24, 8, false},
    {"main.kind31", 31, 8, false},
    {"*net.TCPAddr", 22, 8, true},
    {"*net.UDPAddr", 22, 8, true},
    // Shape::kStruct recipes made up by iface_fuzzer (gotap builds them from the type data).
    {"main.Config", 25, 64, false},
    {"*main.Huge", 22, 8, true},
};
inline constexpr size_t kIfaceFuzzTypeCount = sizeof(kIfaceFuzzTypes) / sizeof(kIfaceFuzzTypes[0]);
static_assert(kIfaceFuzzTypeCount < kIfaceFuzzTypeSlots);

// The address seeds write for the type named `name`; 0 (nil) if there is no such entry.
inline uint64_t IfaceFuzzTypeAddress(std::string_view name) {
  for (size_t i = 0; i < kIfaceFuzzTypeCount; ++i) {
    if (name == kIfaceFuzzTypes[i].name) return kIfaceFuzzTypeBase + i;
  }
  return 0;
}

// The Go releases the first input byte chooses between (bits 0-2), for BuiltinShapes.
inline constexpr int kIfaceFuzzGoMinors[] = {14, 16, 17, 19, 20, 21, 22, 25};

}  // namespace gotap::fuzz
