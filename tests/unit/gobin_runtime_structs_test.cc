// RuntimeStructs on inputs that must fail cleanly: missing functions, functions that allocate
// something else, addresses that hold no type, paths through non-struct fields.
#include <gtest/gtest.h>

#include "gobin/binary.h"
#include "gobin/runtime_structs.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

TEST(RuntimeStructs, FailsWithAReasonNeverACrash) {
  auto binary = Binary::Open(testing::FixturePath("gstates.stripped"));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  auto types = RuntimeTypes::Load(**binary);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  EXPECT_EQ(FindAllocatedType(**binary, *types, "runtime.nosuch", "runtime.g").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(FindAllocatedType(**binary, *types, "main.main", "runtime.g").status().code(),
            StatusCode::kNotFound);
  auto g = FindAllocatedType(**binary, *types, "runtime.malg", "runtime.g");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(FieldOffset(*types, *g, "sched.nosuch").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(FieldOffset(*types, *g, "goid.lo").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(FieldOffset(*types, 0, "goid").status().code(), StatusCode::kMalformed);
  // Nested fields add up: sched.pc is sched's offset plus pc's within gobuf.
  auto sched = FieldOffset(*types, *g, "sched"), pc = FieldOffset(*types, *g, "sched.pc");
  ASSERT_TRUE(sched.ok() && pc.ok());
  EXPECT_EQ(*pc, *sched + 8);
}

}  // namespace
}  // namespace gotap::gobin
