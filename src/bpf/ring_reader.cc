#include "bpf/ring_reader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace gotap::bpf {

struct RingReader::State {
  ring_buffer* ring = nullptr;  // owned; libbpf calls OnSample with this State
  const std::function<void(Bytes)>* on_record = nullptr;  // valid only during Poll
  int delivered = 0;

  ~State() {
    if (ring) ring_buffer__free(ring);
  }

  static int OnSample(void* ctx, void* data, size_t size) {
    auto* state = static_cast<State*>(ctx);
    (*state->on_record)(Bytes(static_cast<const uint8_t*>(data), size));
    ++state->delivered;
    return 0;
  }
};

RingReader::RingReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
RingReader::RingReader(RingReader&&) noexcept = default;
RingReader& RingReader::operator=(RingReader&&) noexcept = default;
RingReader::~RingReader() = default;

StatusOr<RingReader> RingReader::Create(int map_fd) {
  auto state = std::make_unique<State>();
  // The State's address is libbpf's context: it stays put when the reader moves.
  state->ring = ring_buffer__new(map_fd, &State::OnSample, state.get(), nullptr);
  if (state->ring == nullptr) {
    return IoError("setting up the ring buffer: {}", std::strerror(errno));
  }
  return RingReader(std::move(state));
}

StatusOr<int> RingReader::Poll(std::chrono::milliseconds timeout,
                               const std::function<void(Bytes)>& on_record) {
  State& s = *state_;
  s.on_record = &on_record;
  s.delivered = 0;
  int err = ring_buffer__poll(s.ring, static_cast<int>(timeout.count()));
  // No wakeup within the timeout (or a signal): records written without one are there anyway.
  if (err == 0 || err == -EINTR) err = ring_buffer__consume(s.ring);
  s.on_record = nullptr;
  if (err < 0 && err != -EINTR) return IoError("polling the ring buffer: {}", std::strerror(-err));
  return s.delivered;
}

}  // namespace gotap::bpf
