// Reading and writing BPF per-CPU maps (PERCPU_ARRAY, PERCPU_HASH): one value per possible CPU,
// each laid out 8-byte aligned. Every per-CPU read of both programs (counters, histograms, the
// ns program's losses) goes through here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace gotap::bpf {

// The CPUs a per-CPU map holds a value for (possible, not online), counted once.
StatusOr<int> PossibleCpus();

// Pure: adds the values of `per_cpu` (CPU after CPU, into.size() words each) into `into`,
// word by word. per_cpu.size() must be a multiple of into.size().
void SumOverCpus(std::span<const uint64_t> per_cpu, std::span<uint64_t> into);

namespace per_cpu_internal {
// bpf_map_lookup_elem / bpf_map_update_elem; kNotFound for a missing key.
Status Lookup(int fd, const void* key, void* values);
Status Update(int fd, const void* key, const void* values);
}  // namespace per_cpu_internal

// `key`'s value on every possible CPU of per-CPU map `fd`; T is the map's value type.
template <typename T>
StatusOr<std::vector<T>> LookupPerCpu(int fd, const void* key) {
  static_assert(sizeof(T) % 8 == 0, "the kernel lays per-CPU values out 8-byte aligned");
  ASSIGN_OR_RETURN(int cpus, PossibleCpus());
  std::vector<T> values(static_cast<size_t>(cpus));
  RETURN_IF_ERROR(per_cpu_internal::Lookup(fd, key, values.data()));
  return values;
}

// Stores `value` as `key`'s value on every possible CPU.
template <typename T>
Status UpdatePerCpu(int fd, const void* key, const T& value) {
  static_assert(sizeof(T) % 8 == 0, "the kernel lays per-CPU values out 8-byte aligned");
  ASSIGN_OR_RETURN(int cpus, PossibleCpus());
  std::vector<T> values(static_cast<size_t>(cpus), value);
  return per_cpu_internal::Update(fd, key, values.data());
}

// Entries [0, n) of a per-CPU array of uint64_t counters (map `fd`, named `name` in errors), each
// summed over the CPUs.
StatusOr<std::vector<uint64_t>> SumPerCpuCounters(int fd, uint32_t n, std::string_view name);

}  // namespace gotap::bpf
