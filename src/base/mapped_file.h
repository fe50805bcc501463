// A whole file's bytes in memory. Move-only.
//
// The file is read with read(2), not mapped: a mapped file that someone truncates while gotap
// reads it (`cp new-build server` while tracing `server`) raises SIGBUS on the next access to a
// page past the new end, which no parser's bounds check can prevent. Binaries are at most a few
// hundred megabytes, so a copy is affordable. (The name predates this; its users only need
// bytes().)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap {

class MappedFile {
 public:
  // Regular files only, opened without blocking (a FIFO or device is refused at once instead of
  // waiting for a writer). Fails with kNotFound for a missing path, kInvalidArgument for a
  // directory or any other non-regular file, kMalformed for a file whose size changed while it
  // was read, kIo for other errors. An empty file gives an empty span.
  static StatusOr<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept
      : path_(std::move(other.path_)),
        data_(std::move(other.data_)),
        size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&& other) noexcept {
    path_ = std::move(other.path_);
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() = default;

  Bytes bytes() const { return Bytes(data_.get(), size_); }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, std::unique_ptr<uint8_t[]> data, size_t size)
      : path_(std::move(path)), data_(std::move(data)), size_(size) {}

  std::string path_;
  std::unique_ptr<uint8_t[]> data_;  // null iff size_ == 0 or moved-from
  size_t size_ = 0;
};

}  // namespace gotap
