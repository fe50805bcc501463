#include "trace_uprobes.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "run_gotap.h"
#include "trace_events.h"

namespace gotap::testing {

std::vector<uint64_t> ProbeSites(const std::string& binary, const std::string& func) {
  RunResult r = RunGotap({"funcs", "--json", binary, func});
  std::vector<Json> rows = ParseJsonLines(r.out);
  if (r.exit_code != 0 || rows.size() != 1 || !rows[0]["entry_probe"].is_number() ||
      !rows[0]["returns"].is_array()) {
    ADD_FAILURE() << "gotap funcs --json " << binary << " " << func << ": " << r.out << r.err;
    return {};
  }
  std::vector<uint64_t> sites = {rows[0]["entry_probe"].get<uint64_t>()};
  for (const Json& ret : rows[0]["returns"]) sites.push_back(ret.get<uint64_t>());
  return sites;
}

std::vector<int> CodeBytes(pid_t pid, const std::vector<uint64_t>& addresses) {
  std::vector<int> bytes(addresses.size(), -1);
  int fd = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  for (size_t i = 0; i < addresses.size(); ++i) {
    unsigned char b = 0;
    if (pread(fd, &b, 1, static_cast<off_t>(addresses[i])) == 1) bytes[i] = b;
  }
  close(fd);
  return bytes;
}

std::vector<UprobeMultiLink> UprobeMultiLinks(pid_t pid) {
  std::vector<UprobeMultiLink> links;
  std::string fdinfo = "/proc/" + std::to_string(pid) + "/fdinfo";
  DIR* dir = opendir(fdinfo.c_str());
  if (dir == nullptr) return links;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(fdinfo + "/" + entry->d_name);
    UprobeMultiLink link;
    bool uprobe_multi = false;
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string key, value;
      fields >> key >> value;
      if (key == "link_type:") uprobe_multi = value == "uprobe_multi";
      if (key == "link_id:")
        link.id = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
      if (key == "path:") link.path = value;
      if (key == "uprobe_cnt:")
        link.probes = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    }
    if (uprobe_multi) links.push_back(link);
  }
  closedir(dir);
  return links;
}

bool LinkExists(uint32_t id) {
  union bpf_attr attr {};
  attr.link_id = id;
  int fd = static_cast<int>(syscall(SYS_bpf, BPF_LINK_GET_FD_BY_ID, &attr, sizeof attr));
  if (fd >= 0) close(fd);
  return fd >= 0 || errno != ENOENT;
}

}  // namespace gotap::testing
