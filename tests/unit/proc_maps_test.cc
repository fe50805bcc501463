// /proc/PID/maps parsing and the load bias, and reading memory of a live process (this one).
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>

#include "proc/freeze.h"
#include "proc/maps.h"
#include "proc/process_memory.h"

namespace gotap::proc {
namespace {

constexpr char kMaps[] =
    "555555554000-555555600000 r--p 00000000 08:01 1234 /usr/bin/server\n"
    "555555600000-555555700000 r-xp 000ac000 08:01 1234 /usr/bin/server\n"
    "7ffff7fc1000-7ffff7fc5000 r--p 00000000 00:00 0 [vvar]\n"
    "garbage line\n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
    "7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n";

TEST(ProcMaps, Parse) {
  std::vector<Mapping> maps = ParseMaps(kMaps);
  ASSERT_EQ(maps.size(), 5u);
  EXPECT_EQ(maps[0].start, 0x555555554000u);
  EXPECT_EQ(maps[0].end, 0x555555600000u);
  EXPECT_EQ(maps[0].perms, "r--p");
  EXPECT_EQ(maps[0].inode, 1234u);
  EXPECT_EQ(maps[0].path, "/usr/bin/server");
  EXPECT_EQ(maps[1].offset, 0xac000u);
  EXPECT_EQ(maps[3].path, "[stack]");
  EXPECT_EQ(maps[4].path, "");
}

TEST(ProcMaps, LoadBias) {
  std::vector<Mapping> maps = ParseMaps(kMaps);
  // PIE: first PT_LOAD at vaddr 0, offset 0.
  auto bias = LoadBias(maps, 1234, FirstLoad{0, 0});
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(*bias, 0x555555554000u);
  // A first segment at a non-zero page-aligned vaddr.
  bias = LoadBias(maps, 1234, FirstLoad{0x400000, 0});
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(*bias, 0x555555554000u - 0x400000u);
  EXPECT_EQ(LoadBias(maps, 99, FirstLoad{0, 0}).status().code(), StatusCode::kNotFound);
}

TEST(ProcMaps, OwnExecutableIsMapped) {
  auto inode = ExeInode(getpid());
  ASSERT_TRUE(inode.ok()) << inode.status().ToString();
  auto maps = ReadMaps(getpid());
  ASSERT_TRUE(maps.ok());
  bool found = false;
  for (const Mapping& m : *maps) found |= m.inode == *inode;
  EXPECT_TRUE(found);
}

TEST(ProcMemory, ReadsOwnMemory) {
  auto memory = ProcessMemory::Open(getpid());
  ASSERT_TRUE(memory.ok()) << memory.status().ToString();
  const std::array<uint64_t, 2> words = {0x1122334455667788, 42};
  auto v = memory->ReadU64(reinterpret_cast<uint64_t>(&words[0]));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x1122334455667788u);
  std::array<uint8_t, 8> a{}, b{};
  std::array<uint64_t, 2> addrs = {reinterpret_cast<uint64_t>(&words[1]),
                                   reinterpret_cast<uint64_t>(&words[0])};
  std::array<std::span<uint8_t>, 2> outs = {std::span(a), std::span(b)};
  ASSERT_TRUE(memory->ReadMany(addrs, outs).ok());
  EXPECT_EQ(a[0], 42);
  EXPECT_EQ(b[0], 0x88);
  // Page 0 is never mapped.
  EXPECT_EQ(memory->ReadU64(8).status().code(), StatusCode::kIo);
}

TEST(ProcMemory, MissingProcess) {
  EXPECT_EQ(ProcessMemory::Open(999999999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ProcessMemory::Open(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ProcessAlive(999999999));
  EXPECT_TRUE(ProcessAlive(getpid()));
  EXPECT_EQ(FreezeGuard::Freeze(999999999).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gotap::proc
