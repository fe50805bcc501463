// PcRelativeAddresses against Go's own view of the code: `go tool objdump` shows runtime.malg
// (Go 1.19) taking the address of its closure, `LEAQ runtime.malg.func1(SB), CX` on amd64 and
// `ADRP 0(PC), R1; ADD $384, R1, R1` on arm64; that address must be among those computed, and
// equal the closure's entry in pclntab. (The type descriptors malg also computes have no symbol;
// goroutines_layout_matrix_test.cc checks those against DWARF.)
#include <gtest/gtest.h>

#include <algorithm>

#include "arch/pc_relative.h"
#include "gobin/binary.h"
#include "test_paths.h"

namespace gotap::arch {
namespace {

void ExpectMalgComputesItsClosure(const std::string& fixture) {
  SCOPED_TRACE(fixture);
  auto binary = gobin::Binary::Open(testing::FixturePath(fixture));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  const gobin::Binary& b = **binary;
  auto closure = b.FindFunctions("runtime.malg.func1");
  ASSERT_FALSE(closure.empty());
  auto malg = b.FindFunctions("runtime.malg");
  ASSERT_FALSE(malg.empty());
  auto code = b.Code(*malg.front());
  ASSERT_TRUE(code.has_value());
  auto addresses = PcRelativeAddresses(b.arch(), malg.front()->entry, *code);
  ASSERT_TRUE(addresses.ok()) << addresses.status().ToString();
  EXPECT_NE(std::find(addresses->begin(), addresses->end(), closure.front()->entry),
            addresses->end());
}

TEST(PcRelativeAddresses, Amd64Lea) { ExpectMalgComputesItsClosure("gstates.default"); }

TEST(PcRelativeAddresses, Arm64AdrpAdd) { ExpectMalgComputesItsClosure("model.arm64"); }

TEST(PcRelativeAddresses, GarbageNeverCrashes) {
  std::vector<uint8_t> junk(4096);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 131 + 7);
  EXPECT_TRUE(PcRelativeAddresses(Arch::kX86_64, 0x401000, Bytes(junk)).ok());
  EXPECT_TRUE(PcRelativeAddresses(Arch::kArm64, 0x401000, Bytes(junk)).ok());
  EXPECT_FALSE(PcRelativeAddresses(Arch::kArm64, 0x401002, Bytes(junk)).ok());  // misaligned
  EXPECT_TRUE(PcRelativeAddresses(Arch::kX86_64, 0x401000, Bytes()).ok());
}

}  // namespace
}  // namespace gotap::arch
