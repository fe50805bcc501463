// /proc/PID/maps: the target's mappings, and the load bias of its executable (runtime address =
// link-time vaddr + bias; 0 for a non-PIE executable).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace gotap::proc {

struct Mapping {
  uint64_t start = 0;   // runtime address, inclusive
  uint64_t end = 0;     // runtime address, exclusive
  std::string perms;    // "r-xp"
  uint64_t offset = 0;  // file offset of `start`
  uint64_t inode = 0;
  std::string path;  // may be empty (anonymous) or "[stack]" etc.
};

// Parses the text of a maps file; malformed lines are skipped.
std::vector<Mapping> ParseMaps(std::string_view text);

StatusOr<std::vector<Mapping>> ReadMaps(pid_t pid);

// The first loadable segment of the executable as the ELF file describes it.
struct FirstLoad {
  uint64_t vaddr = 0;   // link-time vaddr of the first PT_LOAD
  uint64_t offset = 0;  // its file offset
};

// Load bias of the file with inode `inode`: its mapping that covers `first.offset` starts at
// the page of `first.vaddr` plus the bias. kNotFound if no mapping of that file covers it.
StatusOr<uint64_t> LoadBias(const std::vector<Mapping>& maps, uint64_t inode, FirstLoad first,
                            uint64_t page_size = 4096);

// "/proc/PID/exe" (opens the executable even when its path was deleted or is in another mount
// namespace) and its inode, for matching against maps.
std::string ExePath(pid_t pid);
StatusOr<uint64_t> ExeInode(pid_t pid);

}  // namespace gotap::proc
