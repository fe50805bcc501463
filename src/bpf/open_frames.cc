#include "bpf/open_frames.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "bpf/gotap_intf.h"

namespace gotap::bpf {
namespace {

// Builds the record of frame `level` of `key`. Its arguments are `slot_args` (GOTAP_ARGS_IN_SLOT)
// or are taken out of frame_args (GOTAP_ARGS_IN_MAP).
std::vector<uint8_t> FrameRecord(int args_fd, const gotap_goroutine_key& key,
                                 const gotap_frame& frame, uint32_t level, uint64_t now,
                                 Bytes slot_args) {
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
  if (frame.has_args == GOTAP_ARGS_IN_SLOT) {
    if (slot_args.size() == frame.args_len && slot_args.size() <= GOTAP_AREA_MAX) {
      std::memcpy(args.data, slot_args.data(), slot_args.size());
      header.args_len = static_cast<uint16_t>(slot_args.size());
    } else {
      header.flags |= GOTAP_REC_ARGS_MISSING;
    }
  } else if (frame.has_args == GOTAP_ARGS_IN_MAP) {
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

// Delivers the open frames of `stack`, innermost first; `slot` holds the arguments of those
// marked GOTAP_ARGS_IN_SLOT (null for a stack from `stacks`). Returns the number of records.
int DeliverStack(int args_fd, const gotap_goroutine_key& key, const gotap_shadow_stack& stack,
                 const gotap_gslot* slot, uint64_t now,
                 const std::function<void(Bytes)>& on_record) {
  uint32_t n = stack.n <= GOTAP_STACK_DEPTH ? stack.n : 0;
  // Slot arguments are stacked in frame order: the innermost frame's are the top ones.
  uint32_t top = slot && slot->args_top <= GOTAP_SLOT_ARGS ? slot->args_top : 0;
  for (uint32_t level = n; level-- > 0;) {
    const gotap_frame& frame = stack.frames[level];
    Bytes args;
    if (slot && frame.has_args == GOTAP_ARGS_IN_SLOT && frame.args_len <= top) {
      top -= frame.args_len;
      args = Bytes(slot->args + top, frame.args_len);
    }
    std::vector<uint8_t> record = FrameRecord(args_fd, key, frame, level, now, args);
    on_record(Bytes(record.data(), record.size()));
  }
  return static_cast<int>(n);
}

// Delivers and frees the owned slots of `tgid` (0: every process). A slot is freed by a
// compare-and-swap of its owner, as the program frees it, so a goroutine that takes the slot at
// the same moment is not disturbed.
int DrainSlots(const GoroutineSlots& slots, int args_fd, int tgid, uint64_t now,
               const std::function<void(Bytes)>& on_record) {
  int delivered = 0;
  auto copy = std::make_unique<gotap_gslot>();
  for (uint32_t i = 0; i < slots.count; ++i) {
    gotap_gslot& slot = slots.base[i];
    __u64 owner = __atomic_load_n(&slot.owner, __ATOMIC_ACQUIRE);
    if (owner == 0) continue;
    std::memcpy(copy.get(), &slot, sizeof(slot));
    if (tgid != 0 && copy->key.tgid != static_cast<uint32_t>(tgid)) continue;
    copy->owner = owner;
    if (!__atomic_compare_exchange_n(&slot.owner, &owner, 0, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
      continue;  // freed or taken meanwhile: not a frame of a process that is gone
    }
    delivered += DeliverStack(args_fd, copy->key, copy->stack, copy.get(), now, on_record);
  }
  return delivered;
}

}  // namespace

StatusOr<int> DrainOpenFrames(const GoroutineSlots& slots, int stacks_fd, int args_fd, int tgid,
                              const std::function<void(Bytes)>& on_record) {
  uint64_t now = ClockNs(CLOCK_MONOTONIC);
  int delivered = DrainSlots(slots, args_fd, tgid, now, on_record);
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
  for (const gotap_goroutine_key& k : keys) {
    gotap_shadow_stack stack{};
    if (bpf_map_lookup_elem(stacks_fd, &k, &stack) != 0) continue;  // evicted or popped
    bpf_map_delete_elem(stacks_fd, &k);
    delivered += DeliverStack(args_fd, k, stack, nullptr, now, on_record);
  }
  return delivered;
}

}  // namespace gotap::bpf
