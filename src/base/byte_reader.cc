#include "base/byte_reader.h"

namespace gotap {

std::optional<std::string_view> ByteReader::CString(uint64_t offset, uint64_t max_length) const {
  if (offset >= data_.size()) return std::nullopt;
  uint64_t limit = data_.size() - offset;
  if (limit > max_length + 1) limit = max_length + 1;
  const auto* begin = reinterpret_cast<const char*>(data_.data() + offset);
  const void* nul = std::memchr(begin, 0, limit);
  if (nul == nullptr) return std::nullopt;
  return std::string_view(begin, static_cast<const char*>(nul) - begin);
}

std::optional<uint64_t> ByteReader::Uvarint(uint64_t* offset) const {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    auto byte = U8(*offset);
    if (!byte) return std::nullopt;
    ++*offset;
    value |= static_cast<uint64_t>(*byte & 0x7f) << shift;
    if ((*byte & 0x80) == 0) return value;
  }
  return std::nullopt;  // more than 10 bytes: not a valid uvarint
}

}  // namespace gotap
