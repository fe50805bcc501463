// Where gotap writes its results (stdout, `-o FILE`): a std::ostream over a file descriptor that
// never loses a failed write silently, and that writes whole lines.
//
// Why not std::ofstream / std::cout: they turn ENOSPC, EPIPE or EIO into a stream state that
// nobody reads, and they split a buffer wherever it is full. Here:
//  - the first failed write(2) is kept (errno and the file's name); later output is discarded,
//    and Check() reports "cannot write NAME: strerror" so a command can end with exit 1 and count
//    what it did not write as lost;
//  - every write(2) ends at a newline when the data has one, and on a pipe or FIFO holds at most
//    PIPE_BUF bytes: the kernel writes such a chunk atomically, so a reader sharing the pipe with
//    another writer (a spawned command's own stdout) never sees a line split by foreign bytes.
//    A single line longer than PIPE_BUF goes out in one write(2), which a pipe may interleave.
#pragma once

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "base/status.h"

namespace gotap {

class OutputStream : public std::ostream {
 public:
  // Creates or truncates `path` (mode 0666 & ~umask). kNotFound / kPermissionDenied / kIo with
  // the reason ("cannot write PATH: ...").
  static StatusOr<std::unique_ptr<OutputStream>> Open(const std::string& path);
  // Writes to `fd`, which the stream never closes; `name` is how errors call it ("stdout").
  static std::unique_ptr<OutputStream> ForFd(int fd, std::string name);

  ~OutputStream() override;  // flushes; closes a file it opened (errors are lost: call Close())
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;

  // Flushes; Ok, or kIo "cannot write NAME: strerror" for the first write that failed.
  Status Check();
  // Check(), then close(2) of a file Open() created (its error counts as a failed write).
  Status Close();
  const std::string& name() const;

 private:
  class FdBuffer;
  explicit OutputStream(std::unique_ptr<FdBuffer> buffer);
  std::unique_ptr<FdBuffer> buffer_;  // never null
};

// Flushes `out` and says whether everything written to it reached its destination: for an
// OutputStream its Check(); for any other stream kIo "write failed" once it is bad.
Status CheckWritten(std::ostream& out);

}  // namespace gotap
