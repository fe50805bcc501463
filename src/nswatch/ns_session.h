// The loaded `gotap ns` BPF program (ns.bpf.c): its maps, ring buffer, syscall programs and
// uprobe links. Lifecycle: Create (privileges, BTF, offsets into rodata, load) -> SetOriginal for
// each known process -> AttachSites / AttachSyscalls -> Poll -> destruction (links first).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/byte_reader.h"
#include "base/status.h"
#include "nswatch/namespaces.h"
#include "nswatch/ns_intf.h"

namespace gotap::nswatch {

class NsSession {
 public:
  // `max_sites`: probe sites over the session's lifetime (at most bpf::kMaxSites).
  static StatusOr<NsSession> Create(const gotap_ns_config& config, uint32_t max_sites);

  NsSession(NsSession&&) noexcept;
  NsSession& operator=(NsSession&&) noexcept;
  NsSession(const NsSession&) = delete;
  NsSession& operator=(const NsSession&) = delete;
  ~NsSession();

  // The namespaces process tgid started in; findings compare threads against them.
  Status SetOriginal(int tgid, const NsSet& ns);
  // Stores sites[i] under cookie i and attaches them at FILE offsets of `path` with one
  // uprobe_multi link (pid 0: every process mapping the file). All-or-nothing.
  Status AttachSites(const std::string& path, std::span<const gotap_ns_site> sites,
                     std::span<const uint64_t> file_offsets, int pid);
  // Entry and exit of the setns and unshare syscalls (raw tracepoints sys_enter/sys_exit;
  // processes).
  Status AttachSyscalls();
  void DetachAll();

  // Waits up to `timeout` and hands each raw event to on_event. Returns the count.
  StatusOr<int> Poll(std::chrono::milliseconds timeout,
                     const std::function<void(Bytes event)>& on_event);
  // Events dropped because the ring buffer was full.
  uint64_t ReadLost() const;

 private:
  struct State;
  explicit NsSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;  // never null except in a moved-from session
};

}  // namespace gotap::nswatch
