#include "nswatch/findings.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstring>

#include "base/clock.h"
#include "base/escape.h"
#include "base/json_writer.h"
#include "proc/maps.h"

namespace gotap::nswatch {
namespace {

constexpr uint32_t kSysSetns = 308;  // x86-64
constexpr uint32_t kSysUnshare = 272;
constexpr size_t kMaxFrames = 24;

// Frames outside these packages are the program's own code.
bool IsRuntimeFrame(const std::string& name) {
  return name.empty() || name == "?" || name.starts_with("runtime.") ||
         name.starts_with("syscall.") || name.starts_with("internal/") ||
         name.starts_with("runtime/");
}

void NsObject(JsonWriter& w, const NsSet& ns) {
  w.BeginObject();
  for (int t = 0; t < GOTAP_NS_NUM; ++t) {
    if (ns[t] != 0) w.Key(NsTypeName(t)).Uint(ns[t]);
  }
  w.EndObject();
}

std::string Goroutine(uint64_t goid) {
  return goid == 1 ? "g=1 (main)" : goid ? fmt::format("g={}", goid) : "g=?";
}

}  // namespace

const char* FindingKindName(uint32_t kind) {
  switch (kind) {
    case GOTAP_NS_EV_UNLOCK_FOREIGN:
      return "unlock_in_foreign_ns";
    case GOTAP_NS_EV_POISONED_USE:
      return "poisoned_thread";
    case GOTAP_NS_EV_NO_INHERIT:
      return "child_not_inheriting";
    case GOTAP_NS_EV_SYSCALL:
      return "ns_syscall";
  }
  return "?";
}

bool IsViolation(uint32_t kind) {
  return kind == GOTAP_NS_EV_UNLOCK_FOREIGN || kind == GOTAP_NS_EV_POISONED_USE ||
         kind == GOTAP_NS_EV_NO_INHERIT;
}

std::string CloneFlagsToString(uint64_t flags) {
  static constexpr std::pair<uint64_t, const char*> kFlags[] = {
      {0x00000080, "CLONE_NEWTIME"}, {0x00000200, "CLONE_FS"},      {0x00000400, "CLONE_FILES"},
      {0x00020000, "CLONE_NEWNS"},   {0x00040000, "CLONE_SYSVSEM"}, {0x02000000, "CLONE_NEWCGROUP"},
      {0x04000000, "CLONE_NEWUTS"},  {0x08000000, "CLONE_NEWIPC"},  {0x10000000, "CLONE_NEWUSER"},
      {0x20000000, "CLONE_NEWPID"},  {0x40000000, "CLONE_NEWNET"}};
  if (flags == 0) return "0";
  std::string out;
  for (auto [bit, name] : kFlags) {
    if (flags & bit) {
      out += (out.empty() ? "" : "|") + std::string(name);
      flags &= ~bit;
    }
  }
  if (flags) out += (out.empty() ? "" : "|") + fmt::format("{:#x}", flags);
  return out;
}

void Symbolizer::LearnFromSite(int tgid, uint32_t func_id, uint64_t runtime_pc) {
  if (!binary_.elf().is_position_independent() || bias_.count(tgid)) return;
  auto sites = site_vaddrs_.find(func_id);
  if (sites == site_vaddrs_.end()) return;
  std::optional<int64_t> found;
  for (uint64_t vaddr : sites->second) {
    int64_t bias = static_cast<int64_t>(runtime_pc - vaddr);
    if (bias % 4096 != 0) continue;
    if (found && *found != bias) return;  // ambiguous: leave it to /proc/PID/maps
    found = bias;
  }
  if (found) bias_[tgid] = *found;
}

std::optional<int64_t> Symbolizer::Bias(int tgid) {
  if (!binary_.elf().is_position_independent()) return 0;
  if (auto it = bias_.find(tgid); it != bias_.end()) return it->second;
  struct stat want {};
  if (stat(binary_.path().c_str(), &want) != 0) return std::nullopt;
  auto maps = proc::ReadMaps(tgid);
  if (!maps.ok()) return std::nullopt;
  for (const elf::Segment& s : binary_.elf().segments()) {
    if (s.type != 1 /* PT_LOAD */) continue;
    auto bias = proc::LoadBias(*maps, want.st_ino, proc::FirstLoad{s.vaddr, s.offset});
    if (!bias.ok()) return std::nullopt;
    bias_[tgid] = static_cast<int64_t>(*bias);
    return bias_[tgid];
  }
  return std::nullopt;
}

std::string Symbolizer::FunctionAt(int tgid, uint64_t runtime_pc) {
  auto bias = Bias(tgid);
  if (!bias) return "";
  const gobin::FuncRecord* f = binary_.FunctionAt(runtime_pc - static_cast<uint64_t>(*bias));
  return f ? std::string(binary_.Name(*f)) : "";
}

StatusOr<Finding> DecodeFinding(Bytes record, const std::vector<std::string>& func_names,
                                Symbolizer* symbolizer) {
  gotap_ns_event e;
  if (record.size() < sizeof(e)) return Malformed("ns event of {} bytes", record.size());
  std::memcpy(&e, record.data(), sizeof(e));
  if (e.kind < GOTAP_NS_EV_UNLOCK_FOREIGN || e.kind > GOTAP_NS_EV_SYSCALL) {
    return Malformed("ns event of unknown kind {}", e.kind);
  }
  static const uint64_t realtime_offset = ClockNs(CLOCK_REALTIME) - ClockNs(CLOCK_MONOTONIC);
  Finding f;
  f.kind = e.kind;
  f.ts_ns = e.ts_ns + realtime_offset;
  f.pid = static_cast<int>(e.tgid);
  f.tid = static_cast<int>(e.tid);
  f.goid = e.goid;
  f.child_goid = e.child_goid;
  f.locked = e.lockedm != 0;
  f.locked_ext = e.locked_ext;
  f.locked_int = e.locked_int;
  f.ns = FromBpf(e.ns);
  f.original = FromBpf(e.orig);

  if (e.kind != GOTAP_NS_EV_SYSCALL && e.nframes > 0) {
    symbolizer->LearnFromSite(f.pid, e.func_id, e.stack[0]);
  }
  // The stack: the probed pc, the return address at the stack pointer where the site says it is
  // one (frame pointers skip the probed function's caller before its frame is set up), then
  // the frame-pointer chain.
  size_t n = std::min<size_t>(e.nframes, GOTAP_NS_STACK_DEPTH);
  std::vector<std::string> frames;
  for (size_t i = 0; i < n; ++i) frames.push_back(symbolizer->FunctionAt(f.pid, e.stack[i]));
  std::string at_sp = symbolizer->FunctionAt(f.pid, e.sp_word);
  bool sp_is_ret = e.flags & GOTAP_NS_SITE_SP_IS_RET;
  // In a syscall the innermost frame is the runtime's frameless assembly stub, whose return
  // address is at the stack pointer: kept when it names a function the chain does not repeat.
  if (e.kind == GOTAP_NS_EV_SYSCALL && !at_sp.empty() && (n < 2 || frames[1] != at_sp)) {
    sp_is_ret = true;
  }
  if (sp_is_ret && !frames.empty()) frames.insert(frames.begin() + 1, at_sp);
  if (frames.size() > kMaxFrames) frames.resize(kMaxFrames);
  for (std::string& name : frames) {
    if (name.empty()) name = "?";
  }
  f.stack = frames;
  auto site_name = [&]() -> std::string {
    return e.func_id < func_names.size() ? func_names[e.func_id] : "?";
  };
  auto caller = [&]() -> std::string {
    return frames.size() > 1 ? frames[1] : frames.empty() ? "?" : frames[0];
  };
  switch (e.kind) {
    case GOTAP_NS_EV_UNLOCK_FOREIGN:
      // At the body's entry the caller is at the stack pointer; an inlined copy is its caller.
      f.function = (e.flags & GOTAP_NS_SITE_SP_IS_RET) ? caller()
                   : frames.empty()                    ? "?"
                                                       : frames[0];
      break;
    case GOTAP_NS_EV_POISONED_USE:
      f.function = site_name();
      break;
    case GOTAP_NS_EV_NO_INHERIT:
      f.function = caller();  // the function with the `go` statement
      break;
    case GOTAP_NS_EV_SYSCALL: {
      f.syscall = e.func_id == kSysSetns     ? "setns"
                  : e.func_id == kSysUnshare ? "unshare"
                                             : fmt::format("syscall {}", e.func_id);
      f.args[0] = e.args[0];
      f.args[1] = e.args[1];
      f.ret = e.ret;
      f.before = FromBpf(e.before);
      f.function = "?";
      for (const std::string& name : frames) {
        if (!IsRuntimeFrame(name)) {
          f.function = name;
          break;
        }
      }
      break;
    }
  }
  return f;
}

std::string Finding::ToText() const {
  std::string head = fmt::format("{} {} pid={} tid={} {}", FormatTimeOfDay(ts_ns),
                                 FindingKindName(kind), pid, tid, Goroutine(goid));
  std::string what;
  std::string in_ns = DescribeDifference(ns, original);
  std::string orig_ns = DescribeDifference(original, ns);
  switch (kind) {
    case GOTAP_NS_EV_UNLOCK_FOREIGN:
      what = fmt::format(
          "unlocked its thread in {}: thread returned to the pool in {}, process "
          "is in {}",
          EscapeForTerminal(function), in_ns, orig_ns);
      break;
    case GOTAP_NS_EV_POISONED_USE:
      what = fmt::format("runs {} unlocked on a poisoned thread in {}, process is in {}",
                         EscapeForTerminal(function), in_ns, orig_ns);
      break;
    case GOTAP_NS_EV_NO_INHERIT:
      what = fmt::format(
          "locked in {} started a goroutine in {}: child {} will not inherit {}; it runs in {}",
          in_ns, EscapeForTerminal(function),
          child_goid ? fmt::format("g={}", child_goid) : std::string("g=?"), in_ns, orig_ns);
      break;
    case GOTAP_NS_EV_SYSCALL: {
      std::string call = syscall == "setns"
                             ? fmt::format("setns(fd={}, {})", static_cast<int64_t>(args[0]),
                                           CloneFlagsToString(args[1]))
                             : fmt::format("{}({})", syscall, CloneFlagsToString(args[0]));
      std::vector<int> changed = DifferingTypes(before, ns);
      std::string change;
      for (int t : changed) {
        change += fmt::format("{}{} -> {}", change.empty() ? "" : ", ", FormatNs(t, before[t]),
                              FormatNs(t, ns[t]));
      }
      what = fmt::format("{} = {} in {} ({}, lockedExt={}): {}", call, ret,
                         EscapeForTerminal(function), locked ? "locked" : "NOT locked", locked_ext,
                         change.empty() ? "no namespace changed" : change);
      break;
    }
  }
  std::string out = head + " " + what + "\n";
  for (const std::string& frame : stack) out += "    " + EscapeForTerminal(frame) + "\n";
  return out;
}

std::string Finding::ToJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("kind")
      .String(FindingKindName(kind))
      .Key("violation")
      .Bool(IsViolation(kind));
  w.Key("ts_ns").Uint(ts_ns).Key("pid").Int(pid).Key("tid").Int(tid).Key("goid").Uint(goid);
  w.Key("main").Bool(goid == 1).Key("locked").Bool(locked);
  w.Key("locked_ext").Uint(locked_ext).Key("locked_int").Uint(locked_int);
  w.Key("function").String(function).Key("stack").BeginArray();
  for (const std::string& frame : stack) w.String(frame);
  w.EndArray().Key("ns");
  NsObject(w, ns);
  w.Key("original_ns");
  NsObject(w, original);
  w.Key("differs").BeginArray();
  for (int t : DifferingTypes(ns, original)) w.String(NsTypeName(t));
  w.EndArray();
  if (kind == GOTAP_NS_EV_NO_INHERIT) w.Key("child_goid").Uint(child_goid);
  if (kind == GOTAP_NS_EV_SYSCALL) {
    w.Key("syscall").String(syscall).Key("args").BeginArray().Uint(args[0]).Uint(args[1]);
    w.EndArray().Key("flags").String(CloneFlagsToString(syscall == "setns" ? args[1] : args[0]));
    w.Key("ret").Int(ret).Key("ns_before");
    NsObject(w, before);
  }
  w.EndObject();
  return out;
}

uint64_t NsSummary::violations() const {
  uint64_t n = 0;
  for (auto [kind, count] : per_kind) {
    if (IsViolation(kind)) n += count;
  }
  return n;
}

std::string NsSummary::ToText() const {
  auto count = [&](uint32_t kind) {
    auto it = per_kind.find(kind);
    return it == per_kind.end() ? uint64_t{0} : it->second;
  };
  std::string out = fmt::format(
      "gotap: ns: {} unlock_in_foreign_ns, {} poisoned_thread, {} child_not_inheriting, {} "
      "ns_syscall in {:.2f}s ({}); events lost {}\n",
      count(GOTAP_NS_EV_UNLOCK_FOREIGN), count(GOTAP_NS_EV_POISONED_USE),
      count(GOTAP_NS_EV_NO_INHERIT), count(GOTAP_NS_EV_SYSCALL), seconds,
      stop_reason.empty() ? "stopped" : stop_reason, lost);
  out += violations() ? fmt::format("gotap: ns: {} violation{} (exit 3)\n", violations(),
                                    violations() == 1 ? "" : "s")
                      : "gotap: ns: no violation\n";
  return out;
}

std::string NsSummary::ToJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("summary").BeginObject();
  for (uint32_t kind = GOTAP_NS_EV_UNLOCK_FOREIGN; kind <= GOTAP_NS_EV_SYSCALL; ++kind) {
    auto it = per_kind.find(kind);
    w.Key(FindingKindName(kind)).Uint(it == per_kind.end() ? 0 : it->second);
  }
  w.Key("violations").Uint(violations()).Key("lost").Uint(lost).Key("seconds").Double(seconds);
  w.Key("stop_reason").String(stop_reason).Key("exit_code").Int(ExitCode());
  w.EndObject().EndObject();
  return out;
}

}  // namespace gotap::nswatch
