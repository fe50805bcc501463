#include "nswatch/namespaces.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "base/escape.h"
#include "base/json_writer.h"
#include "proc/exe_scan.h"

namespace gotap::nswatch {
namespace {

constexpr std::string_view kNames[GOTAP_NS_NUM] = {"net", "mnt",  "pid",   "uts",
                                                   "ipc", "user", "cgroup"};

std::optional<std::string> ReadLink(const std::string& path) {
  char buf[256];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<int> ParseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Numeric entries of a /proc directory, ascending.
std::vector<int> NumericEntries(const std::string& dir) {
  std::vector<int> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* entry = readdir(d)) {
    if (auto n = ParseInt(entry->d_name)) out.push_back(*n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

void NsObject(JsonWriter& w, const NsSet& ns) {
  w.BeginObject();
  for (int t = 0; t < GOTAP_NS_NUM; ++t) {
    if (ns[t] != 0) w.Key(kNames[t]).Uint(ns[t]);
  }
  w.EndObject();
}

}  // namespace

std::string_view NsTypeName(int type) {
  return type >= 0 && type < GOTAP_NS_NUM ? kNames[type] : "?";
}

std::string_view NsProcEntry(int type) {
  return type == GOTAP_NS_PID ? "pid_for_children" : NsTypeName(type);
}

std::optional<uint32_t> ParseNsLink(std::string_view link, std::string_view type_name) {
  if (!link.starts_with(type_name)) return std::nullopt;
  link.remove_prefix(type_name.size());
  if (!link.starts_with(":[") || !link.ends_with("]")) return std::nullopt;
  std::string_view digits = link.substr(2, link.size() - 3);
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

std::string FormatNs(int type, uint32_t inum) {
  return fmt::format("{}:[{}]", NsTypeName(type), inum);
}

NsSet FromBpf(const gotap_ns_set& set) {
  NsSet out{};
  for (int t = 0; t < GOTAP_NS_NUM; ++t) out[t] = set.inum[t];
  return out;
}

std::vector<int> DifferingTypes(const NsSet& a, const NsSet& b) {
  std::vector<int> out;
  for (int t = 0; t < GOTAP_NS_NUM; ++t) {
    if (a[t] != 0 && b[t] != 0 && a[t] != b[t]) out.push_back(t);
  }
  return out;
}

std::string DescribeDifference(const NsSet& a, const NsSet& b) {
  std::vector<int> types = DifferingTypes(a, b);
  if (types.empty()) {
    for (int t = 0; t < GOTAP_NS_NUM; ++t) types.push_back(t);
  }
  std::string out;
  for (int t : types) out += (out.empty() ? "" : " ") + FormatNs(t, a[t]);
  return out;
}

StatusOr<NsSet> ReadNs(int pid, int tid) {
  std::string dir =
      tid == 0 ? fmt::format("/proc/{}/ns/", pid) : fmt::format("/proc/{}/task/{}/ns/", pid, tid);
  NsSet out{};
  bool any = false;
  for (int t = 0; t < GOTAP_NS_NUM; ++t) {
    auto link = ReadLink(dir + std::string(NsProcEntry(t)));
    // pid_for_children reads "pid:[N]" (the link names the namespace type, not the entry).
    if (link) {
      if (auto inum = ParseNsLink(*link, NsTypeName(t))) {
        out[t] = *inum;
        any = true;
      }
    }
  }
  if (!any) return IoError("cannot read the namespaces in {}", dir);
  return out;
}

StatusOr<std::vector<ThreadNs>> SnapshotThreads(int pid) {
  std::vector<int> tids = NumericEntries(fmt::format("/proc/{}/task", pid));
  if (tids.empty()) return NotFound("no such process: {}", pid);
  std::stable_partition(tids.begin(), tids.end(), [pid](int t) { return t == pid; });
  std::vector<ThreadNs> out;
  for (int tid : tids) {
    auto ns = ReadNs(pid, tid);
    if (!ns.ok()) continue;  // the thread exited meanwhile
    ThreadNs t;
    t.tid = tid;
    t.ns = *ns;
    std::ifstream comm(fmt::format("/proc/{}/task/{}/comm", pid, tid));
    std::getline(comm, t.comm);
    out.push_back(std::move(t));
  }
  if (out.empty()) return NotFound("no readable thread in process {}", pid);
  for (ThreadNs& t : out) t.differs = DifferingTypes(t.ns, out.front().ns);
  return out;
}

std::string FormatSnapshotText(int pid, const std::vector<ThreadNs>& threads) {
  std::string out = fmt::format("  {:>8} {:<16}", "TID", "COMM");
  for (int t = 0; t < GOTAP_NS_NUM; ++t) out += fmt::format(" {:>12}", NsTypeName(t));
  out += "\n";
  size_t differing = 0;
  for (const ThreadNs& th : threads) {
    out += fmt::format("{} {:>8} {:<16}", th.differs.empty() ? ' ' : '*', th.tid,
                       EscapeForTerminal(th.comm));
    for (int t = 0; t < GOTAP_NS_NUM; ++t) {
      bool differs = std::find(th.differs.begin(), th.differs.end(), t) != th.differs.end();
      std::string cell = th.ns[t] ? fmt::format("{}{}", th.ns[t], differs ? "*" : "") : "?";
      out += fmt::format(" {:>12}", cell);
    }
    out += "\n";
    if (!th.differs.empty()) ++differing;
  }
  out += fmt::format("pid {}: {} thread{}, {} in namespaces other than the main thread's{}\n", pid,
                     threads.size(), threads.size() == 1 ? "" : "s", differing,
                     differing ? " (marked *)" : "");
  return out;
}

std::string FormatSnapshotJson(int pid, const std::vector<ThreadNs>& threads) {
  std::string out;
  size_t differing = 0;
  for (const ThreadNs& th : threads) {
    JsonWriter w(&out);
    w.BeginObject().Key("pid").Int(pid).Key("tid").Int(th.tid).Key("comm").String(th.comm);
    w.Key("ns");
    NsObject(w, th.ns);
    w.Key("differs").BeginArray();
    for (int t : th.differs) w.String(NsTypeName(t));
    w.EndArray().EndObject();
    out += "\n";
    if (!th.differs.empty()) ++differing;
  }
  JsonWriter w(&out);
  w.BeginObject().Key("summary").BeginObject().Key("pid").Int(pid).Key("threads");
  w.Uint(threads.size()).Key("differing").Uint(differing).EndObject().EndObject();
  out += "\n";
  return out;
}

std::vector<int> ProcessesRunning(const std::string& path) {
  std::vector<int> out;
  struct stat want {};
  if (stat(path.c_str(), &want) != 0) return out;
  for (const proc::RunningExecutable& exe : proc::ScanExecutables()) {
    if (exe.dev == want.st_dev && exe.ino == want.st_ino) out.push_back(exe.pid);
  }
  return out;
}

}  // namespace gotap::nswatch
