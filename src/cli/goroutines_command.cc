// gotap goroutines -p PID: every goroutine of a live Go process, read from outside.
#include <elf.h>
#include <unistd.h>

#include <climits>

#include "base/escape.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "gobin/binary.h"
#include "goroutines/report.h"
#include "goroutines/snapshot.h"
#include "proc/freeze.h"
#include "proc/maps.h"
#include "proc/process_memory.h"

namespace gotap::cli {
namespace {

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kMalformed:
    case StatusCode::kUnsupported:
      return kExitBadInput;
    default:
      return kExitFailure;
  }
}

std::string ExeName(pid_t pid) {
  char buf[PATH_MAX];
  ssize_t n = readlink(proc::ExePath(pid).c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return proc::ExePath(pid);
  return std::string(buf, static_cast<size_t>(n));
}

StatusOr<uint64_t> LoadBiasOf(pid_t pid, const gobin::Binary& binary) {
  ASSIGN_OR_RETURN(uint64_t inode, proc::ExeInode(pid));
  ASSIGN_OR_RETURN(std::vector<proc::Mapping> maps, proc::ReadMaps(pid));
  for (const elf::Segment& seg : binary.elf().segments()) {
    if (seg.type != PT_LOAD) continue;
    if (!binary.elf().is_position_independent()) return 0;
    return proc::LoadBias(maps, inode, proc::FirstLoad{seg.vaddr, seg.offset});
  }
  return Malformed("the executable has no loadable segment");
}

}  // namespace

int RunGoroutines(const GoroutinesOptions& options, std::ostream& out, std::ostream& err) {
  const pid_t pid = options.pid;
  if (pid <= 0) {
    err << "gotap: goroutines needs -p PID (a running Go process)\n";
    return kExitBadInput;
  }
  auto fail = [&](const Status& s, int code) {
    err << "gotap: pid " << pid << ": " << s.message() << "\n";
    return code;
  };
  auto inode = proc::ExeInode(pid);
  if (!inode.ok()) return fail(inode.status(), ExitCodeFor(inode.status()));
  const std::string exe = ExeName(pid);
  // Open the executable through /proc so a deleted or namespaced path still works.
  auto binary = gobin::Binary::Open(proc::ExePath(pid));
  if (!binary.ok()) {
    err << "gotap: pid " << pid << " (" << EscapeForTerminal(exe)
        << "): " << binary.status().message() << "\n";
    return binary.status().code() == StatusCode::kPermissionDenied ? kExitFailure : kExitBadInput;
  }
  auto bias = LoadBiasOf(pid, **binary);
  if (!bias.ok()) return fail(bias.status(), kExitFailure);
  auto memory = proc::ProcessMemory::Open(pid);
  if (!memory.ok()) return fail(memory.status(), ExitCodeFor(memory.status()));
  auto reader = goroutines::GoroutineReader::Create(**binary, *bias);
  if (!reader.ok()) return fail(reader.status(), ExitCodeFor(reader.status()));
  for (const std::string& d : reader->layout().disagreements) {
    err << "gotap: warning: " << d << "\n";
  }

  StatusOr<goroutines::Snapshot> snapshot = Internal("not read");
  {
    std::optional<proc::FreezeGuard> freeze;  // resumes the process when this block ends
    if (options.freeze) {
      auto guard = proc::FreezeGuard::Freeze(pid);
      if (!guard.ok()) return fail(guard.status(), kExitFailure);
      freeze.emplace(std::move(guard).value());
    }
    snapshot = reader->Read(*memory, /*unwind=*/true);
  }
  if (!snapshot.ok()) {
    // Anything missing now (the process, a mapping) is a failure at run time, not bad input.
    if (!proc::ProcessAlive(pid)) {
      return fail(NotFound("process exited while being read"), kExitFailure);
    }
    return fail(snapshot.status(), kExitFailure);
  }
  goroutines::ReportOptions report;
  report.json = options.json;
  report.stacks = options.stacks;
  report.filter = options.filter;
  goroutines::WriteReport(*snapshot, report, out);
  out.flush();
  return kExitOk;
}

}  // namespace gotap::cli
