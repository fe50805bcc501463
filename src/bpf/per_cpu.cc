#include "bpf/per_cpu.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace gotap::bpf {

StatusOr<int> PossibleCpus() {
  static const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return IoError("counting possible CPUs: {}", std::strerror(-cpus));
  return cpus;
}

void SumOverCpus(std::span<const uint64_t> per_cpu, std::span<uint64_t> into) {
  if (into.empty()) return;
  for (size_t i = 0; i < per_cpu.size(); ++i) into[i % into.size()] += per_cpu[i];
}

namespace per_cpu_internal {

Status Lookup(int fd, const void* key, void* values) {
  if (bpf_map_lookup_elem(fd, key, values) == 0) return Status::Ok();
  if (errno == ENOENT) return NotFound("no such key");
  return IoError("{}", std::strerror(errno));
}

Status Update(int fd, const void* key, const void* values) {
  if (bpf_map_update_elem(fd, key, values, BPF_ANY) == 0) return Status::Ok();
  return IoError("{}", std::strerror(errno));
}

}  // namespace per_cpu_internal

StatusOr<std::vector<uint64_t>> SumPerCpuCounters(int fd, uint32_t n, std::string_view name) {
  std::vector<uint64_t> sums(n);
  for (uint32_t key = 0; key < n; ++key) {
    auto per_cpu = LookupPerCpu<uint64_t>(fd, &key);
    if (!per_cpu.ok())
      return per_cpu.status().WithContext(fmt::format("reading {}[{}]", name, key));
    SumOverCpus(*per_cpu, std::span<uint64_t>(&sums[key], 1));
  }
  return sums;
}

}  // namespace gotap::bpf
