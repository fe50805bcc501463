// PcRelativeAddresses against the linker's own symbols: in builds that keep .symtab, the address
// runtime.malg computes for `new(g)` must be the symbol type:runtime.g (type.runtime.g before
// Go 1.20), on amd64 (LEAQ) and arm64 (ADRP+ADD).
#include <gtest/gtest.h>

#include <algorithm>

#include "arch/pc_relative.h"
#include "gobin/binary.h"
#include "test_paths.h"

namespace gotap::arch {
namespace {

void ExpectMalgComputesTheGType(const std::string& fixture) {
  SCOPED_TRACE(fixture);
  auto binary = gobin::Binary::Open(testing::FixturePath(fixture));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  const gobin::Binary& b = **binary;
  const elf::Symbol* type = b.elf().FindSymbol("type:runtime.g");
  if (type == nullptr) type = b.elf().FindSymbol("type.runtime.g");
  ASSERT_NE(type, nullptr);
  auto malg = b.FindFunctions("runtime.malg");
  ASSERT_FALSE(malg.empty());
  auto code = b.Code(*malg.front());
  ASSERT_TRUE(code.has_value());
  auto addresses = PcRelativeAddresses(b.arch(), malg.front()->entry, *code);
  ASSERT_TRUE(addresses.ok()) << addresses.status().ToString();
  EXPECT_NE(std::find(addresses->begin(), addresses->end(), type->value), addresses->end());
}

TEST(PcRelativeAddresses, Amd64LeaOfTheGType) { ExpectMalgComputesTheGType("gstates.default"); }

TEST(PcRelativeAddresses, Arm64AdrpAddOfTheGType) { ExpectMalgComputesTheGType("model.arm64"); }

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
