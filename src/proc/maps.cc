#include "proc/maps.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gotap::proc {
namespace {

bool ParseHex(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 16) return false;
  uint64_t v = 0;
  for (char c : text) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// Splits off the next space-separated field of `line`.
std::string_view NextField(std::string_view* line) {
  size_t start = line->find_first_not_of(' ');
  if (start == std::string_view::npos) {
    *line = {};
    return {};
  }
  size_t end = line->find(' ', start);
  std::string_view field = line->substr(start, end == std::string_view::npos ? end : end - start);
  *line = end == std::string_view::npos ? std::string_view{} : line->substr(end);
  return field;
}

}  // namespace

std::vector<Mapping> ParseMaps(std::string_view text) {
  std::vector<Mapping> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::string_view range = NextField(&line), perms = NextField(&line), offset = NextField(&line),
                     dev = NextField(&line), inode = NextField(&line);
    size_t dash = range.find('-');
    Mapping m;
    if (dash == std::string_view::npos || !ParseHex(range.substr(0, dash), &m.start) ||
        !ParseHex(range.substr(dash + 1), &m.end) || m.end < m.start || perms.size() != 4 ||
        !ParseHex(offset, &m.offset) || dev.empty() || inode.empty()) {
      continue;
    }
    uint64_t ino = 0;
    for (char c : inode) {
      if (c < '0' || c > '9') {
        ino = UINT64_MAX;
        break;
      }
      ino = ino * 10 + static_cast<uint64_t>(c - '0');
    }
    if (ino == UINT64_MAX) continue;
    m.inode = ino;
    m.perms = std::string(perms);
    size_t path_start = line.find_first_not_of(' ');
    if (path_start != std::string_view::npos) m.path = std::string(line.substr(path_start));
    out.push_back(std::move(m));
  }
  return out;
}

StatusOr<std::vector<Mapping>> ReadMaps(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  if (!in) return NotFound("no process with pid {}", pid);
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<Mapping> maps = ParseMaps(text.str());
  if (maps.empty()) {
    return PermissionDenied("cannot read the mappings of process {} (exited, or no permission)",
                            pid);
  }
  return maps;
}

StatusOr<uint64_t> LoadBias(const std::vector<Mapping>& maps, uint64_t inode, FirstLoad first,
                            uint64_t page_size) {
  const uint64_t page_mask = ~(page_size - 1);
  const uint64_t want_offset = first.offset & page_mask;
  for (const Mapping& m : maps) {
    if (m.inode != inode || m.offset != want_offset) continue;
    return m.start - (first.vaddr & page_mask);
  }
  return NotFound("the executable is not mapped at file offset {:#x}", want_offset);
}

std::string ExePath(pid_t pid) { return "/proc/" + std::to_string(pid) + "/exe"; }

StatusOr<uint64_t> ExeInode(pid_t pid) {
  struct stat st;
  if (stat(ExePath(pid).c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ESRCH) return NotFound("no process with pid {}", pid);
    if (errno == EACCES || errno == EPERM) {
      return PermissionDenied(
          "permission denied reading process {} (run as root or with CAP_SYS_PTRACE)", pid);
    }
    return IoError("{}: {}", ExePath(pid), strerror(errno));
  }
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace gotap::proc
