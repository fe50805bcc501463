// Bounds-checked reads from an untrusted byte span.
//
// Every accessor takes an absolute offset into the span and returns std::nullopt instead of
// reading out of bounds, so parsers of target binaries can never overrun their input.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace gotap {

using Bytes = std::span<const uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data, bool little_endian = true)
      : data_(data), little_endian_(little_endian) {}

  Bytes data() const { return data_; }
  uint64_t size() const { return data_.size(); }
  bool Contains(uint64_t offset, uint64_t length) const {
    return offset <= data_.size() && length <= data_.size() - offset;
  }

  std::optional<uint8_t> U8(uint64_t offset) const { return Read<uint8_t>(offset); }
  std::optional<uint16_t> U16(uint64_t offset) const { return Read<uint16_t>(offset); }
  std::optional<uint32_t> U32(uint64_t offset) const { return Read<uint32_t>(offset); }
  std::optional<uint64_t> U64(uint64_t offset) const { return Read<uint64_t>(offset); }
  // A pointer-sized word; word_size is 4 or 8.
  std::optional<uint64_t> Word(uint64_t offset, int word_size) const {
    if (word_size == 8) return U64(offset);
    if (word_size == 4) {
      auto v = U32(offset);
      if (!v) return std::nullopt;
      return *v;
    }
    return std::nullopt;
  }

  std::optional<Bytes> Sub(uint64_t offset, uint64_t length) const {
    if (!Contains(offset, length)) return std::nullopt;
    return data_.subspan(offset, length);
  }

  // A NUL-terminated string starting at offset, at most max_length bytes before the NUL.
  std::optional<std::string_view> CString(uint64_t offset, uint64_t max_length = 1 << 20) const;

  // An unsigned LEB128 varint (Go's uvarint) at *offset; advances *offset past it.
  std::optional<uint64_t> Uvarint(uint64_t* offset) const;

 private:
  template <typename T>
  std::optional<T> Read(uint64_t offset) const {
    if (!Contains(offset, sizeof(T))) return std::nullopt;
    T value;
    std::memcpy(&value, data_.data() + offset, sizeof(T));
    if (!little_endian_) value = ByteSwap(value);
    return value;
  }
  template <typename T>
  static T ByteSwap(T v) {
    if constexpr (sizeof(T) == 1) {
      return v;
    } else if constexpr (sizeof(T) == 2) {
      return __builtin_bswap16(v);
    } else if constexpr (sizeof(T) == 4) {
      return __builtin_bswap32(v);
    } else {
      return __builtin_bswap64(v);
    }
  }

  Bytes data_;
  bool little_endian_;
};

}  // namespace gotap
