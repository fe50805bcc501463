// One Go value as the BPF program captured it: its bytes laid out as Go lays the value out in
// memory, which of those bytes are known, and the target memory behind its string and []byte
// data pointers. Built by the trace planner from capture slots; rendered by render.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "decode/iface.h"
#include "dwarf/type.h"

namespace gotap::decode {

// Why a byte of a value is unknown.
enum class ByteState : uint8_t {
  kKnown = 0,
  kFloatRegister,  // in an FP register: a uprobe's BPF program has no access to them
  kNotCaptured,    // over the per-site capture budget, or no layout for it
  kFault,          // the capture read failed (unmapped stack page)
};

struct Pointee {
  std::string bytes;  // what was copied from the target (at most --strlen bytes)
  bool read_failed = false;
};

struct CapturedValue {
  std::string name;
  const dwarf::Type* type = nullptr;  // never null once built
  std::string bytes;                  // type->size bytes, Go memory layout, little-endian
  std::vector<ByteState> state;       // one per byte of `bytes`
  // Keyed by the offset in the value of a string's or []byte's data pointer.
  std::map<uint64_t, Pointee> pointees;
  // Keyed by the offset in the value of an interface: what the probe walked behind it.
  std::map<uint64_t, IfaceNode> ifaces;
  uint64_t now_ns = 0;  // wall clock of the call (ns since the epoch): deadlines' time left
  std::string ctx_key;  // --ctx-key: a context renders as just this key's value

  // A value of `type` with every byte in state `initial`.
  static CapturedValue Make(std::string name, const dwarf::Type* type, ByteState initial);
  // Copies `size` little-endian bytes of `raw` to value offset `offset` and marks them known.
  void Fill(uint64_t offset, uint64_t size, uint64_t raw);
  void Mark(uint64_t offset, uint64_t size, ByteState s);
  // The first non-known state in [offset, offset + size), or kKnown.
  ByteState StateOf(uint64_t offset, uint64_t size) const;
  uint64_t Word(uint64_t offset, uint64_t size) const;  // little-endian, zero-extended
};

}  // namespace gotap::decode
