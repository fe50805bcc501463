// The pure pieces of the shared BPF runtime: summing per-CPU values, and the run loop's order of
// polls, stops, detach and drain (with fake hooks: no kernel needed).
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "bpf/per_cpu.h"
#include "bpf/run_loop.h"

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

// A ring that holds `pending` records, handed out at most `batch` per poll.
struct FakeRing {
  int pending = 0;
  int batch = 2;
  int polls = 0, drained = 0, detached = 0;
  std::vector<std::string> log;

  LoopHooks Hooks() {
    LoopHooks hooks;
    hooks.poll = [this](std::chrono::milliseconds timeout) -> StatusOr<int> {
      ++polls;
      int n = std::min(pending, batch);
      pending -= n;
      if (timeout.count() == 0) drained += n;
      log.push_back(timeout.count() == 0 ? "drain" : "poll");
      return n;
    };
    hooks.detach = [this] {
      ++detached;
      log.push_back("detach");
    };
    return hooks;
  }
};

TEST(RunLoopTest, StopFlagEndsTheRunThenTheRingIsDrained) {
  volatile std::sig_atomic_t stop = 1;  // set before the first poll: "interrupted" at once
  FakeRing ring;
  ring.pending = 5;
  auto end = RunLoop(Target{}, {std::nullopt, &stop}, ring.Hooks());
  ASSERT_TRUE(end.ok()) << end.status().message();
  EXPECT_EQ(end->stop_reason, "interrupted");
  EXPECT_EQ(ring.detached, 1);
  EXPECT_EQ(ring.drained, 5);  // three drain polls of 2, 2, 1, then one that finds none
  EXPECT_EQ(ring.log, (std::vector<std::string>{"detach", "drain", "drain", "drain", "drain"}));
  EXPECT_FALSE(end->child_exit_status);
}

TEST(RunLoopTest, TheCallersReasonStopsAndSkipsTheDrain) {
  volatile std::sig_atomic_t stop = 0;
  FakeRing ring;
  ring.pending = 100;
  LoopHooks hooks = ring.Hooks();
  hooks.stop_reason = [&] { return ring.polls >= 3 ? std::string("max events") : std::string(); };
  auto end = RunLoop(Target{}, {std::nullopt, &stop}, hooks);
  ASSERT_TRUE(end.ok()) << end.status().message();
  EXPECT_EQ(end->stop_reason, "max events");
  EXPECT_EQ(ring.polls, 3);
  EXPECT_EQ(ring.drained, 0);
  EXPECT_EQ(ring.log.back(), "detach");
}

TEST(RunLoopTest, AfterPollStopsTheRunAndStillDrains) {
  volatile std::sig_atomic_t stop = 0;
  FakeRing ring;
  ring.pending = 3;
  ring.batch = 1;
  LoopHooks hooks = ring.Hooks();
  hooks.after_poll = [] { return std::string("write failed"); };
  auto end = RunLoop(Target{}, {std::nullopt, &stop}, hooks);
  ASSERT_TRUE(end.ok()) << end.status().message();
  EXPECT_EQ(end->stop_reason, "write failed");
  EXPECT_EQ(ring.log, (std::vector<std::string>{"poll", "detach", "drain", "drain", "drain"}));
  EXPECT_EQ(ring.drained, 2);
}

TEST(RunLoopTest, APollErrorDetachesAndFails) {
  volatile std::sig_atomic_t stop = 0;
  FakeRing ring;
  LoopHooks hooks = ring.Hooks();
  hooks.poll = [](std::chrono::milliseconds) -> StatusOr<int> { return IoError("ring gone"); };
  auto end = RunLoop(Target{}, {std::nullopt, &stop}, hooks);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().message(), "ring gone");
  EXPECT_EQ(ring.detached, 1);
}

TEST(RunLoopTest, DurationEndsTheRun) {
  volatile std::sig_atomic_t stop = 0;
  FakeRing ring;
  auto end = RunLoop(Target{}, {0.0, &stop}, ring.Hooks());
  ASSERT_TRUE(end.ok()) << end.status().message();
  EXPECT_EQ(end->stop_reason, "duration");
  EXPECT_GE(end->elapsed_seconds(), 0.0);
}

}  // namespace
}  // namespace gotap::bpf
