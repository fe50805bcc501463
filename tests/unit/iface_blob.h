// Building interface blobs for decode tests the way the BPF program writes them
// (bpf/iface_intf.h): a node, the bytes copied by the recipe, its strings (u16 length, bytes),
// then its non-nil children in order.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "bpf/gotap_intf.h"

namespace gotap::decode::blob {

// A node to serialise. `copy` is laid out by the caller (see Put); strings are appended in order.
struct Spec {
  uint64_t type = 0;
  uint64_t data = 0;
  std::string copy;
  std::vector<std::string> strings;
  std::vector<std::pair<int, Spec>> children;  // recipe child index -> node
  uint8_t flags = GOTAP_IFACE_F_RECIPE;
  uint8_t ident = 0;
};

inline void Serialise(const Spec& s, std::string* out) {
  gotap_iface_node n{};
  n.type = s.type;
  n.data = s.data;
  n.copied = static_cast<uint16_t>(s.copy.size());
  n.nstrings = static_cast<uint8_t>(s.strings.size());
  n.flags = s.flags;
  n.ident = s.ident;
  for (const auto& [i, c] : s.children) n.child_mask |= 1 << i;
  out->append(reinterpret_cast<const char*>(&n), sizeof(n));
  out->append(s.copy);
  for (const std::string& str : s.strings) {
    uint16_t len = static_cast<uint16_t>(str.size());
    out->append(reinterpret_cast<const char*>(&len), 2);
    out->append(str);
  }
  for (const auto& [i, c] : s.children) Serialise(c, out);
}

// Writes the little-endian word at `at` of a node's copy, growing it as needed.
inline void Put(std::string* copy, uint64_t at, uint64_t word) {
  if (copy->size() < at + 8) copy->resize(at + 8);
  std::memcpy(copy->data() + at, &word, 8);
}

}  // namespace gotap::decode::blob
