#include "decode/captured_value.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace gotap::decode {

CapturedValue CapturedValue::Make(std::string name, const dwarf::Type* type, ByteState initial) {
  CapturedValue v;
  v.name = std::move(name);
  v.type = type;
  v.bytes.assign(type->size, '\0');
  v.state.assign(type->size, initial);
  return v;
}

void CapturedValue::Fill(uint64_t offset, uint64_t size, uint64_t raw) {
  if (offset > bytes.size()) return;
  size = std::min<uint64_t>({size, 8, bytes.size() - offset});
  std::memcpy(bytes.data() + offset, &raw, size);
  std::fill_n(state.begin() + static_cast<ptrdiff_t>(offset), size, ByteState::kKnown);
}

void CapturedValue::Mark(uint64_t offset, uint64_t size, ByteState s) {
  if (offset > state.size()) return;
  size = std::min<uint64_t>(size, state.size() - offset);
  std::fill_n(state.begin() + static_cast<ptrdiff_t>(offset), size, s);
}

ByteState CapturedValue::StateOf(uint64_t offset, uint64_t size) const {
  if (offset > state.size() || size > state.size() - offset) return ByteState::kNotCaptured;
  for (uint64_t i = offset; i < offset + size; ++i) {
    if (state[i] != ByteState::kKnown) return state[i];
  }
  return ByteState::kKnown;
}

uint64_t CapturedValue::Word(uint64_t offset, uint64_t size) const {
  uint64_t v = 0;
  if (offset <= bytes.size() && size <= 8 && size <= bytes.size() - offset) {
    std::memcpy(&v, bytes.data() + offset, size);
  }
  return v;
}

}  // namespace gotap::decode
