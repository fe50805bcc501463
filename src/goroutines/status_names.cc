#include "goroutines/status_names.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "gobin/locate.h"
#include "gobin/version_tables.h"

namespace gotap::goroutines {
namespace {

constexpr std::string_view kFirstReason = "GC assist marking";
// No Go version has more than ~50 reasons, nor a name longer than ~40 bytes.
constexpr size_t kMaxReasons = 256;
constexpr uint64_t kMaxReasonLength = 128;

bool Printable(Bytes bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) { return c >= 0x20 && c < 0x7f; });
}

// Reads the string header {ptr, len} at link-time vaddr `at`; nullopt unless it points at
// printable bytes in the file.
std::optional<std::string> ReadGoString(const elf::ElfFile& elf, uint64_t at) {
  auto ptr = gobin::ReadLinkTimeWord(elf, at);
  auto len = gobin::ReadLinkTimeWord(elf, at + 8);
  if (!ptr || !len || *len > kMaxReasonLength) return std::nullopt;
  if (*len == 0) return std::string();
  auto bytes = elf.ReadVaddr(*ptr, *len);
  if (!bytes || !Printable(*bytes)) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

std::string GStatusName(uint32_t status) {
  static const char* const kNames[] = {"idle",      "runnable",  "running", "syscall",
                                       "waiting",   "moribund",  "dead",    "enqueue",
                                       "copystack", "preempted", "leaked",  "deadextra"};
  status &= ~kGscan;
  if (status < std::size(kNames)) return kNames[status];
  return fmt::format("status {}", status);
}

const char* WaitReasonSourceName(WaitReasonSource source) {
  switch (source) {
    case WaitReasonSource::kBinary:
      return "binary";
    case WaitReasonSource::kVersionTable:
      return "version-table";
    case WaitReasonSource::kNone:
      return "none";
  }
  return "none";
}

std::string WaitReasons::Name(uint8_t reason) const {
  if (reason < names.size()) return names[reason];
  return fmt::format("wait reason {}", reason);
}

std::vector<std::string> WaitReasonsForVersion(std::pair<int, int> go_version) {
  if (go_version != std::pair{1, 19}) return {};
  return {"",
          "GC assist marking",
          "IO wait",
          "chan receive (nil chan)",
          "chan send (nil chan)",
          "dumping heap",
          "garbage collection",
          "garbage collection scan",
          "panicwait",
          "select",
          "select (no cases)",
          "GC assist wait",
          "GC sweep wait",
          "GC scavenge wait",
          "chan receive",
          "chan send",
          "finalizer wait",
          "force gc (idle)",
          "semacquire",
          "sleep",
          "sync.Cond.Wait",
          "timer goroutine (idle)",
          "trace reader (blocked)",
          "wait for GC cycle",
          "GC worker (idle)",
          "preempted",
          "debug call"};
}

std::optional<std::vector<std::string>> FindWaitReasonStrings(const gobin::Binary& binary) {
  const elf::ElfFile& elf = binary.elf();
  // 1. Where the bytes of "GC assist marking" sit in read-only data (link-time vaddrs).
  std::vector<uint64_t> targets;
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type != PT_LOAD || (seg.flags & PF_W)) continue;
    auto data = ByteReader(elf.bytes()).Sub(seg.offset, seg.file_size);
    if (!data) continue;
    auto it = data->begin();
    while (targets.size() < 16) {
      it = std::search(it, data->end(), kFirstReason.begin(), kFirstReason.end());
      if (it == data->end()) break;
      targets.push_back(seg.vaddr + static_cast<uint64_t>(it - data->begin()));
      ++it;
    }
  }
  if (targets.empty()) return std::nullopt;
  // 2. A string header {target, 17} in writable data, preceded by an empty string.
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type != PT_LOAD || !(seg.flags & PF_W)) continue;
    uint64_t first = (seg.vaddr + 7) & ~uint64_t{7};
    for (uint64_t at = first + 16; at + 16 <= seg.vaddr + seg.file_size; at += 8) {
      auto len = gobin::ReadLinkTimeWord(elf, at + 8);
      if (!len || *len != kFirstReason.size()) continue;
      auto ptr = gobin::ReadLinkTimeWord(elf, at);
      if (!ptr || std::find(targets.begin(), targets.end(), *ptr) == targets.end()) continue;
      auto zero_len = gobin::ReadLinkTimeWord(elf, at - 8);
      if (!zero_len || *zero_len != 0) continue;
      std::vector<std::string> names{""};
      for (uint64_t entry = at; names.size() < kMaxReasons; entry += 16) {
        auto name = ReadGoString(elf, entry);
        if (!name || name->empty()) break;
        names.push_back(std::move(*name));
      }
      if (names.size() > 2) return names;
    }
  }
  return std::nullopt;
}

WaitReasons ResolveWaitReasons(const gobin::Binary& binary) {
  WaitReasons reasons;
  if (auto found = FindWaitReasonStrings(binary)) {
    reasons.names = std::move(*found);
    reasons.source = WaitReasonSource::kBinary;
    return reasons;
  }
  if (gobin::VersionTablesDisabled()) return reasons;
  reasons.names = WaitReasonsForVersion(binary.go_major_minor());
  if (!reasons.names.empty()) reasons.source = WaitReasonSource::kVersionTable;
  return reasons;
}

}  // namespace gotap::goroutines
