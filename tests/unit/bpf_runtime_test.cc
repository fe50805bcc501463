// The pure pieces of the shared BPF runtime: summing per-CPU values.
#include <gtest/gtest.h>

#include <vector>

#include "bpf/per_cpu.h"

namespace gotap::bpf {
namespace {

TEST(PerCpuTest, SumsEachWordOverTheCpus) {
  // Three CPUs, two words each: CPU after CPU, as the kernel lays a per-CPU value out.
  const std::vector<uint64_t> per_cpu = {1, 10, 2, 20, 3, 30};
  std::vector<uint64_t> sums(2, 100);
  SumOverCpus(per_cpu, sums);
  EXPECT_EQ(sums, (std::vector<uint64_t>{106, 160}));
}

TEST(PerCpuTest, OneWordAndNoCpus) {
  std::vector<uint64_t> sum(1);
  SumOverCpus(std::vector<uint64_t>{5, 7, 0, 1}, sum);
  EXPECT_EQ(sum[0], 13u);
  SumOverCpus({}, sum);
  EXPECT_EQ(sum[0], 13u);
  std::vector<uint64_t> none;
  SumOverCpus(std::vector<uint64_t>{1, 2}, none);  // nothing to sum into: no crash
}

TEST(PerCpuTest, PossibleCpusIsPositive) {
  auto cpus = PossibleCpus();
  ASSERT_TRUE(cpus.ok()) << cpus.status().message();
  EXPECT_GT(*cpus, 0);
}

}  // namespace
}  // namespace gotap::bpf
