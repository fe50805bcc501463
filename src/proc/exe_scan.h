// The executables of the running processes, from /proc: how gotap serve finds the processes of a
// binary or a Go module, also inside containers (other mount and pid namespaces).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gotap::proc {

struct RunningExecutable {
  int pid = 0;  // in the scanner's pid namespace
  // The executable's path as the process sees it (readlink /proc/PID/exe: relative to its own
  // mount namespace; " (deleted)" when the file was replaced or removed since it started).
  std::string path;
  // The file itself: processes of the same file share these, whatever their paths.
  dev_t dev = 0;
  ino_t ino = 0;
};

// Every process whose executable can be read (kernel threads and processes that ended during
// the scan are left out); `proc_root` is the procfs mount.
std::vector<RunningExecutable> ScanExecutables(const std::string& proc_root = "/proc");

// "/proc/PID/exe": a path that opens the process's executable from any mount namespace (uprobes
// attached through it follow the file, not the process).
std::string ExecutableLink(int pid, const std::string& proc_root = "/proc");

}  // namespace gotap::proc
