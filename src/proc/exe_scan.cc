#include "proc/exe_scan.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

namespace gotap::proc {

std::string ExecutableLink(int pid, const std::string& proc_root) {
  return proc_root + "/" + std::to_string(pid) + "/exe";
}

std::vector<RunningExecutable> ScanExecutables(const std::string& proc_root) {
  std::vector<RunningExecutable> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(proc_root.c_str()), closedir);
  if (!dir) return out;
  while (const dirent* entry = readdir(dir.get())) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0) continue;
    RunningExecutable exe;
    exe.pid = static_cast<int>(pid);
    const std::string link = ExecutableLink(exe.pid, proc_root);
    struct stat st {};
    if (stat(link.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // kernel thread, gone
    char target[4096];
    ssize_t n = readlink(link.c_str(), target, sizeof(target));
    if (n <= 0 || static_cast<size_t>(n) >= sizeof(target)) continue;
    exe.path.assign(target, static_cast<size_t>(n));
    exe.dev = st.st_dev;
    exe.ino = st.st_ino;
    out.push_back(std::move(exe));
  }
  return out;
}

}  // namespace gotap::proc
