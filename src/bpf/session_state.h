// Session::State, shared by the files that implement Session (session.cc: loading, sites and
// attachments; session_maps.cc: what the session reads from its maps). Internal to src/bpf: it
// includes the generated skeleton, which only gotap_bpf's sources can see.
#pragma once

#include <bpf/libbpf.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "bpf/attachments.h"
#include "bpf/gotap.skel.h"  // generated from gotap.bpf.c by bpftool, see CMakeLists.txt
#include "bpf/ring_reader.h"
#include "bpf/scoped_fd.h"
#include "bpf/session.h"

namespace gotap::bpf {

struct SkeletonDeleter {
  void operator()(gotap_bpf* skel) const { gotap_bpf__destroy(skel); }
};

struct Session::State {
  SessionOptions options;
  // Declared in reverse order of teardown: links close before the ring and the program.
  std::unique_ptr<gotap_bpf, SkeletonDeleter> skel;
  std::optional<RingReader> ring;
  std::optional<Attachments> links;
  ScopedFd run_stats;      // holds BPF_STATS_RUN_TIME on while open
  uint64_t next_site = 0;  // sites [0, next_site) hold specs
  // The gslots map, memory-mapped: userspace frees the slots of processes that are gone.
  gotap_gslot* slots = nullptr;
  size_t slots_bytes = 0;

  ~State() {
    if (slots) munmap(slots, slots_bytes);
  }
};

}  // namespace gotap::bpf
