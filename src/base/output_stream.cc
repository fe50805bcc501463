#include "base/output_stream.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gotap {

// Buffers bytes and writes them to fd_ in chunks that end at newlines (see the header).
class OutputStream::FdBuffer : public std::streambuf {
 public:
  FdBuffer(int fd, bool owned, std::string name)
      : fd_(fd), owned_(owned), name_(std::move(name)), storage_(kBufferBytes) {
    struct stat st {};
    if (fstat(fd_, &st) == 0 && S_ISFIFO(st.st_mode)) max_chunk_ = PIPE_BUF;
    setp(storage_.data(), storage_.data() + storage_.size());
  }
  ~FdBuffer() override {
    sync();
    if (owned_ && fd_ >= 0) ::close(fd_);
  }

  const std::string& name() const { return name_; }

  Status status() const {
    if (error_ == 0) return Status::Ok();
    return IoError("cannot write {}: {}", name_, std::strerror(error_));
  }

  Status Close() {
    sync();
    if (owned_ && fd_ >= 0) {
      // close(2) is where NFS and some FUSE file systems report a failed write-back.
      if (::close(fd_) != 0 && error_ == 0) error_ = errno;
      fd_ = -1;
    }
    return status();
  }

 protected:
  int_type overflow(int_type c) override {
    // The buffer is full: write its whole lines, keep a partial last line for the next chunk.
    if (!WritePending(/*everything=*/false)) return traits_type::eof();
    if (pptr() == epptr()) {
      // One line longer than the buffer: it cannot stay whole, write it as it is.
      if (!WritePending(/*everything=*/true)) return traits_type::eof();
    }
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }

  int sync() override { return WritePending(/*everything=*/true) ? 0 : -1; }

 private:
  static constexpr size_t kBufferBytes = 64 << 10;

  // Writes the buffered bytes (all of them, or up to the last newline), in chunks of at most
  // max_chunk_ bytes ending at a newline where one exists. After a failure everything is
  // dropped, now and later: the output is already incomplete, and the error is kept.
  bool WritePending(bool everything) {
    char* begin = pbase();
    char* end = pptr();
    if (error_ == 0 && !everything) {
      char* last_newline = end;
      while (last_newline > begin && last_newline[-1] != '\n') --last_newline;
      if (last_newline > begin) end = last_newline;
    }
    while (error_ == 0 && begin < end) {
      size_t n = static_cast<size_t>(end - begin);
      if (n > max_chunk_) {
        // The last newline within max_chunk_, else the end of the first (long) line.
        const char* cut = begin + max_chunk_;
        while (cut > begin && cut[-1] != '\n') --cut;
        if (cut == begin) {
          cut = static_cast<const char*>(memchr(begin + max_chunk_, '\n', n - max_chunk_));
          cut = cut ? cut + 1 : end;
        }
        n = static_cast<size_t>(cut - begin);
      }
      if (!WriteAll(begin, n)) break;
      begin += n;
    }
    if (error_ != 0) begin = pptr();  // drop the rest
    // Keep what was not written (a partial last line) at the front of the buffer.
    size_t kept = static_cast<size_t>(pptr() - begin);
    std::memmove(storage_.data(), begin, kept);
    setp(storage_.data(), storage_.data() + storage_.size());
    pbump(static_cast<int>(kept));
    return error_ == 0;
  }

  // One write(2) for all `n` bytes where the kernel takes them at once; retries after EINTR,
  // a short write, or EAGAIN on a descriptor someone left non-blocking.
  bool WriteAll(const char* data, size_t n) {
    while (n > 0) {
      ssize_t written = ::write(fd_, data, n);
      if (written < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          pollfd p{fd_, POLLOUT, 0};
          if (poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
        }
        error_ = errno;
        return false;
      }
      data += written;
      n -= static_cast<size_t>(written);
    }
    return true;
  }

  int fd_;
  bool owned_;
  std::string name_;
  std::vector<char> storage_;
  size_t max_chunk_ = SIZE_MAX;  // PIPE_BUF on a pipe or FIFO
  int error_ = 0;                // errno of the first failed write; 0 while all went through
};

OutputStream::OutputStream(std::unique_ptr<FdBuffer> buffer)
    : std::ostream(buffer.get()), buffer_(std::move(buffer)) {}

OutputStream::~OutputStream() { flush(); }

StatusOr<std::unique_ptr<OutputStream>> OutputStream::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("cannot write {}: {}", path, std::strerror(err));
    if (err == EACCES) return PermissionDenied("cannot write {}: {}", path, std::strerror(err));
    return IoError("cannot write {}: {}", path, std::strerror(err));
  }
  return std::unique_ptr<OutputStream>(
      new OutputStream(std::make_unique<FdBuffer>(fd, /*owned=*/true, path)));
}

std::unique_ptr<OutputStream> OutputStream::ForFd(int fd, std::string name) {
  return std::unique_ptr<OutputStream>(
      new OutputStream(std::make_unique<FdBuffer>(fd, /*owned=*/false, std::move(name))));
}

Status OutputStream::Check() {
  flush();
  return buffer_->status();
}

Status OutputStream::Close() {
  flush();
  return buffer_->Close();
}

const std::string& OutputStream::name() const { return buffer_->name(); }

Status CheckWritten(std::ostream& out) {
  if (auto* stream = dynamic_cast<OutputStream*>(&out)) return stream->Check();
  out.flush();
  return out.bad() ? IoError("write failed") : Status::Ok();
}

}  // namespace gotap
