// m.lockedExt/m.lockedInt, as read from the type data and as the version table has them, against
// the code of stripped release builds of Go 1.15 - 1.23 (esbuild from npm). runtime.unlockOSThread
// decrements m.lockedInt and then tests `m.lockedInt == 0 && m.lockedExt == 0`, so both offsets
// appear as memory displacements in its instructions: a table entry that is off by even one field
// fails here.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "gobin/binary.h"
#include "gobin/runtime_layout.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

// Every displacement an instruction of `code` could carry: on x86-64 any 4 little-endian bytes
// (a disp32; no decoding needed, and 0x2xx values rarely occur by chance in 128 bytes of code),
// on arm64 the byte offset of each 32-bit LDR/STR with an unsigned immediate (imm12 * 4).
std::set<uint64_t> Displacements(arch::Arch arch, Bytes code) {
  std::set<uint64_t> out;
  if (arch == arch::Arch::kX86_64) {
    for (size_t i = 0; i + 4 <= code.size(); ++i) {
      uint32_t v = 0;
      std::memcpy(&v, code.data() + i, 4);
      out.insert(v);
    }
    return out;
  }
  for (size_t i = 0; i + 4 <= code.size(); i += 4) {
    uint32_t w = 0;
    std::memcpy(&w, code.data() + i, 4);
    uint32_t op = w & 0xffc00000u;
    if (op == 0xb9400000u || op == 0xb9000000u) out.insert(((w >> 10) & 0xfffu) * 4);
  }
  return out;
}

TEST(GoroutinesLayoutNpm, LockedCountsMatchUnlockOSThread) {
  const std::pair<const char*, std::pair<int, int>> packages[] = {
      {"esbuild-linux-64@0.8.0", {1, 15}},    {"esbuild-linux-64@0.8.57", {1, 16}},
      {"esbuild-linux-64@0.14.54", {1, 19}},  {"@esbuild+linux-x64@0.20.2", {1, 20}},
      {"@esbuild+linux-x64@0.24.2", {1, 23}}, {"@esbuild+linux-arm64@0.24.2", {1, 23}}};
  for (const auto& [package, version] : packages) {
    SCOPED_TRACE(package);
    auto binary = Binary::Open(testing::NpmBinaryPath(package));
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    const Binary& b = **binary;
    ASSERT_EQ(b.go_major_minor(), version);
    auto from_types = LayoutFromTypeData(b);
    ASSERT_TRUE(from_types.ok()) << from_types.status().ToString();  // stripped: no DWARF
    auto table = LayoutForVersion(version);
    ASSERT_TRUE(table.has_value());
    auto funcs = b.FindFunctions("runtime.unlockOSThread");
    ASSERT_FALSE(funcs.empty());
    auto code = b.Code(*funcs.front());
    ASSERT_TRUE(code.has_value());
    std::set<uint64_t> disps = Displacements(b.arch(), *code);
    for (const RuntimeLayout& layout : {*from_types, *table}) {
      EXPECT_TRUE(disps.count(layout.m.locked_int)) << layout.ToString();
      EXPECT_TRUE(disps.count(layout.m.locked_ext)) << layout.ToString();
      // The neighbouring values of other versions must not match as well, or the check would
      // not tell them apart.
      for (uint64_t other : {608u, 616u, 624u, 648u}) {
        if (other == layout.m.locked_ext) continue;
        EXPECT_FALSE(disps.count(other) && disps.count(other + 4)) << other;
      }
    }
  }
}

}  // namespace
}  // namespace gotap::gobin
