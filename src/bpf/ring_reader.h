// Reading a BPF ring buffer (BPF_MAP_TYPE_RINGBUF): the one reader of both programs' rings.
//
// The programs differ in when they wake the reader. The trace program (gotap.bpf.c, emit())
// writes with BPF_RB_NO_WAKEUP until the ring is an eighth full: it may emit millions of records
// a second, and a wakeup per record would cost the target an irq_work and the reader a context
// switch for each. The ns program (ns.bpf.c) writes with the default (adaptive) wakeup: its
// events are rare (a setns, a violation) and each is worth printing at once. Poll serves both:
// it waits for a wakeup up to the timeout, then, when none came, consumes what was written
// meanwhile without one, so the no-wakeup ring is read every `timeout` at the latest.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap::bpf {

class RingReader {
 public:
  // `map_fd`: a loaded ring buffer map; it must outlive the reader.
  static StatusOr<RingReader> Create(int map_fd);

  RingReader(RingReader&&) noexcept;
  RingReader& operator=(RingReader&&) noexcept;
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;
  ~RingReader();

  // Waits up to `timeout` (0: not at all), then hands every record in the ring to `on_record`.
  // Returns the number of records delivered.
  StatusOr<int> Poll(std::chrono::milliseconds timeout,
                     const std::function<void(Bytes record)>& on_record);

 private:
  struct State;
  explicit RingReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;  // never null except in a moved-from reader
};

}  // namespace gotap::bpf
