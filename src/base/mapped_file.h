// A read-only memory mapping of a whole file. Move-only; unmaps on destruction.
#pragma once

#include <string>

#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap {

class MappedFile {
 public:
  // Fails with kNotFound for a missing path, kInvalidArgument for a directory or non-regular
  // file, kIo for other errors. An empty file maps to an empty span.
  static StatusOr<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  Bytes bytes() const { return Bytes(static_cast<const uint8_t*>(addr_), size_); }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, void* addr, size_t size)
      : path_(std::move(path)), addr_(addr), size_(size) {}

  std::string path_;
  void* addr_ = nullptr;  // null iff size_ == 0 or moved-from
  size_t size_ = 0;
};

}  // namespace gotap
