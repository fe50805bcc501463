#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gotap {
namespace {

// Closes the descriptor on every path out of Open.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

}  // namespace

StatusOr<MappedFile> MappedFile::Open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It changes
  // nothing for the regular files that are read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("no such file");
    if (err == EACCES) return PermissionDenied("cannot open: {}", std::strerror(err));
    return IoError("cannot open: {}", std::strerror(err));
  }
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot stat: {}", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return InvalidArgument("is a directory");
  if (!S_ISREG(st.st_mode)) return InvalidArgument("not a regular file");
  size_t size = static_cast<size_t>(st.st_size);
  std::unique_ptr<uint8_t[]> data;
  if (size > 0) data = std::make_unique_for_overwrite<uint8_t[]>(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, data.get() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read: {}", std::strerror(errno));
    if (n == 0) {
      return Malformed("the file shrank while it was read ({} of {} bytes): is it being rewritten?",
                       done, size);
    }
    done += static_cast<size_t>(n);
  }
  struct stat after {};
  if (::fstat(fd, &after) == 0 &&
      (after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
       after.st_mtim.tv_nsec != st.st_mtim.tv_nsec)) {
    return Malformed("the file changed while it was read: is it being rewritten?");
  }
  return MappedFile(path, std::move(data), size);
}

}  // namespace gotap
