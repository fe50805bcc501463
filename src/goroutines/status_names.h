// Names of goroutine statuses and wait reasons (runtime2.go), as runtime.Stack prints them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gobin/binary.h"

namespace gotap::goroutines {

// The scan bit the GC ORs into atomicstatus while it scans a goroutine's stack.
constexpr uint32_t kGscan = 0x1000;
constexpr uint32_t kGrunnable = 1, kGrunning = 2, kGsyscall = 3, kGwaiting = 4, kGdead = 6;
// Go >= 1.26: a dead g kept for an extra M (cgo callbacks); the runtime lists it as dead.
constexpr uint32_t kGdeadextra = 11;

// "idle", "runnable", "running", "syscall", "waiting", "dead", "copystack", "preempted", ...;
// "status N" for a value no Go version defines. The scan bit is ignored.
std::string GStatusName(uint32_t status);

enum class WaitReasonSource { kBinary, kVersionTable, kNone };
const char* WaitReasonSourceName(WaitReasonSource source);  // "binary", "version-table", "none"

// runtime.waitReasonStrings for one binary, indexed by g.waitreason.
struct WaitReasons {
  std::vector<std::string> names;  // names[0] is "" (waitReasonZero)
  WaitReasonSource source = WaitReasonSource::kNone;
  // The name of `reason`, or "wait reason N" when the table does not have it.
  std::string Name(uint8_t reason) const;
};

// Go 1.19's table (src/runtime/runtime2.go of go1.19): the fallback for Go 1.19 binaries in
// which the array cannot be found; empty for other versions, whose lists differ.
std::vector<std::string> WaitReasonsForVersion(std::pair<int, int> go_version);

// Finds runtime.waitReasonStrings in the binary's data: an array of Go string headers whose
// element 1 is "GC assist marking" (so in every Go version since 1.11) and element 0 is empty.
// Works on stripped and PIE binaries. nullopt if not found.
std::optional<std::vector<std::string>> FindWaitReasonStrings(const gobin::Binary& binary);

// FindWaitReasonStrings, else the version table (unless gobin/version_tables.h disables it), else
// an empty table.
WaitReasons ResolveWaitReasons(const gobin::Binary& binary);

}  // namespace gotap::goroutines
