// Read-only access to another process's memory (process_vm_readv, with /proc/PID/mem as the
// fallback). Addresses are runtime virtual addresses in the target (link-time vaddr + load bias).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>

#include "base/status.h"

namespace gotap::proc {

class ProcessMemory {
 public:
  // kNotFound if there is no such process, kPermissionDenied if its memory may not be read.
  // Checks both by reading the process's auxiliary vector once.
  static StatusOr<ProcessMemory> Open(pid_t pid);

  ProcessMemory(ProcessMemory&& other) noexcept;
  ProcessMemory& operator=(ProcessMemory&& other) noexcept;
  ProcessMemory(const ProcessMemory&) = delete;
  ProcessMemory& operator=(const ProcessMemory&) = delete;
  ~ProcessMemory();

  pid_t pid() const { return pid_; }

  // Fills `out` from [address, address + out.size()). Errors: kNotFound when the process has
  // exited, kPermissionDenied, kIo for an unmapped or partly mapped range.
  Status ReadAt(uint64_t address, std::span<uint8_t> out) const;
  StatusOr<uint64_t> ReadU64(uint64_t address) const;

  // Fills several ranges with one system call where possible: `out[i]` from `addresses[i]`.
  // Fails as a whole if any range cannot be read.
  Status ReadMany(std::span<const uint64_t> addresses,
                  std::span<const std::span<uint8_t>> out) const;

 private:
  ProcessMemory(pid_t pid, int mem_fd) : pid_(pid), mem_fd_(mem_fd) {}
  Status ReadViaProcMem(uint64_t address, std::span<uint8_t> out) const;
  Status ErrorFor(int error, uint64_t address) const;

  pid_t pid_ = 0;
  int mem_fd_ = -1;  // /proc/PID/mem, opened lazily only if process_vm_readv is unavailable
};

// True while the process exists (and is not a zombie).
bool ProcessAlive(pid_t pid);

}  // namespace gotap::proc
