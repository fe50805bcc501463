#include "bpf/open_frames.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/clock.h"
#include "bpf/gotap_intf.h"

namespace gotap::bpf {
namespace {

// Builds the record of frame `level` of `key`, taking its arguments out of frame_args.
std::vector<uint8_t> FrameRecord(int args_fd, const gotap_goroutine_key& key,
                                 const gotap_frame& frame, uint32_t level, uint64_t now) {
  gotap_call_record header{};
  header.entry_ns = frame.entry_ns;
  header.duration_ns = now > frame.entry_ns ? now - frame.entry_ns : 0;
  header.goid = key.goid;
  header.depth = frame.depth;
  header.tgid = key.tgid;
  header.entry_tid = frame.tid;
  header.func_id = frame.func_id;
  header.level = static_cast<uint16_t>(level);
  header.flags = GOTAP_REC_OPEN | frame.rec_flags;
  gotap_args_value args{};
  if (frame.has_args) {
    gotap_args_key args_key{key.goid, key.tgid, level};
    if (bpf_map_lookup_and_delete_elem(args_fd, &args_key, &args) == 0 ||
        (bpf_map_lookup_elem(args_fd, &args_key, &args) == 0 &&
         bpf_map_delete_elem(args_fd, &args_key) == 0)) {
      header.args_len = args.len <= GOTAP_AREA_MAX ? args.len : 0;
    } else {
      header.flags |= GOTAP_REC_ARGS_MISSING;
    }
  }
  std::vector<uint8_t> record(sizeof(header) + header.args_len);
  std::memcpy(record.data(), &header, sizeof(header));
  std::memcpy(record.data() + sizeof(header), args.data, header.args_len);
  return record;
}

}  // namespace

StatusOr<int> DrainOpenFrames(int stacks_fd, int args_fd, int tgid,
                              const std::function<void(Bytes)>& on_record) {
  // Collect first: deleting while iterating would restart the iteration.
  std::vector<gotap_goroutine_key> keys;
  gotap_goroutine_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(stacks_fd, prev, &next) == 0) {
    if (tgid == 0 || next.tgid == static_cast<uint32_t>(tgid)) keys.push_back(next);
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) return IoError("iterating open goroutines: {}", std::strerror(errno));
  uint64_t now = ClockNs(CLOCK_MONOTONIC);
  int delivered = 0;
  for (const gotap_goroutine_key& k : keys) {
    gotap_shadow_stack stack{};
    if (bpf_map_lookup_elem(stacks_fd, &k, &stack) != 0) continue;  // evicted or popped
    bpf_map_delete_elem(stacks_fd, &k);
    uint32_t n = stack.n <= GOTAP_STACK_DEPTH ? stack.n : 0;
    for (uint32_t level = n; level-- > 0;) {
      std::vector<uint8_t> record = FrameRecord(args_fd, k, stack.frames[level], level, now);
      on_record(Bytes(record.data(), record.size()));
      ++delivered;
    }
  }
  return delivered;
}

}  // namespace gotap::bpf
