#include "proc/process_memory.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace gotap::proc {
namespace {

// process_vm_readv takes at most IOV_MAX (1024) iovecs per call.
constexpr size_t kMaxIov = 1024;

}  // namespace

bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // State is the field after the parenthesised command name, which may itself hold ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  char state = line[close + 2];
  return state != 'Z' && state != 'X';
}

StatusOr<ProcessMemory> ProcessMemory::Open(pid_t pid) {
  if (pid <= 0) return InvalidArgument("bad pid {}", pid);
  if (!ProcessAlive(pid)) return NotFound("no process with pid {}", pid);
  ProcessMemory memory(pid, -1);
  // Probe with a read of a known-mapped address: the auxiliary vector lists AT_ENTRY etc., but
  // the simplest always-mapped address is the one the kernel reports for the stack start.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  uint64_t start_stack = 0;
  if (close != std::string::npos) {
    // Field 28 (startstack) counted from the state field (field 3).
    size_t at = close + 2;
    for (int field = 3; field < 28 && at != std::string::npos; ++field) {
      at = line.find(' ', at);
      if (at != std::string::npos) ++at;
    }
    if (at != std::string::npos) start_stack = std::strtoull(line.c_str() + at, nullptr, 10);
  }
  if (start_stack != 0) {
    uint8_t byte = 0;
    Status s = memory.ReadAt(start_stack, std::span<uint8_t>(&byte, 1));
    if (s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kNotFound) return s;
  }
  return memory;
}

ProcessMemory::ProcessMemory(ProcessMemory&& other) noexcept
    : pid_(other.pid_), mem_fd_(other.mem_fd_) {
  other.mem_fd_ = -1;
}

ProcessMemory& ProcessMemory::operator=(ProcessMemory&& other) noexcept {
  if (this != &other) {
    if (mem_fd_ >= 0) close(mem_fd_);
    pid_ = other.pid_;
    mem_fd_ = other.mem_fd_;
    other.mem_fd_ = -1;
  }
  return *this;
}

ProcessMemory::~ProcessMemory() {
  if (mem_fd_ >= 0) close(mem_fd_);
}

Status ProcessMemory::ErrorFor(int error, uint64_t address) const {
  if (error == ESRCH || (error != EPERM && error != EACCES && !ProcessAlive(pid_))) {
    return NotFound("process {} exited while being read", pid_);
  }
  if (error == EPERM || error == EACCES) {
    return PermissionDenied(
        "cannot read the memory of process {} (run as root or with "
        "CAP_SYS_PTRACE; check kernel.yama.ptrace_scope)",
        pid_);
  }
  return IoError("cannot read process {} memory at {:#x}: {}", pid_, address, strerror(error));
}

Status ProcessMemory::ReadAt(uint64_t address, std::span<uint8_t> out) const {
  if (out.empty()) return Status::Ok();
  struct iovec local = {out.data(), out.size()};
  struct iovec remote = {reinterpret_cast<void*>(address), out.size()};
  ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(out.size())) return Status::Ok();
  if (n < 0 && errno == ENOSYS) return ReadViaProcMem(address, out);
  if (n >= 0) return IoError("process {} memory at {:#x} is only partly mapped", pid_, address);
  return ErrorFor(errno, address);
}

Status ProcessMemory::ReadViaProcMem(uint64_t address, std::span<uint8_t> out) const {
  if (mem_fd_ < 0) {
    int fd = open(("/proc/" + std::to_string(pid_) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrorFor(errno, address);
    const_cast<ProcessMemory*>(this)->mem_fd_ = fd;
  }
  ssize_t n = pread(mem_fd_, out.data(), out.size(), static_cast<off_t>(address));
  if (n == static_cast<ssize_t>(out.size())) return Status::Ok();
  if (n >= 0) return IoError("process {} memory at {:#x} is only partly mapped", pid_, address);
  return ErrorFor(errno, address);
}

StatusOr<uint64_t> ProcessMemory::ReadU64(uint64_t address) const {
  uint64_t value = 0;
  RETURN_IF_ERROR(ReadAt(address, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&value), 8)));
  return value;
}

Status ProcessMemory::ReadMany(std::span<const uint64_t> addresses,
                               std::span<const std::span<uint8_t>> out) const {
  if (addresses.size() != out.size()) return Internal("ReadMany: size mismatch");
  std::vector<struct iovec> local, remote;
  for (size_t begin = 0; begin < addresses.size(); begin += kMaxIov) {
    size_t end = std::min(addresses.size(), begin + kMaxIov);
    local.clear();
    remote.clear();
    size_t total = 0;
    for (size_t i = begin; i < end; ++i) {
      local.push_back({out[i].data(), out[i].size()});
      remote.push_back({reinterpret_cast<void*>(addresses[i]), out[i].size()});
      total += out[i].size();
    }
    ssize_t n = process_vm_readv(pid_, local.data(), local.size(), remote.data(), remote.size(), 0);
    if (n == static_cast<ssize_t>(total)) continue;
    if (n < 0 && errno != ENOSYS) return ErrorFor(errno, addresses[begin]);
    // Partial transfer (one range unmapped) or no process_vm_readv: read one by one to name the
    // failing range.
    for (size_t i = begin; i < end; ++i) RETURN_IF_ERROR(ReadAt(addresses[i], out[i]));
  }
  return Status::Ok();
}

}  // namespace gotap::proc
