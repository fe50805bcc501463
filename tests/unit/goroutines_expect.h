// Field-by-field comparison of runtime.g layouts (goroutines/layout.h), shared by the layout
// tests: a mismatch names the field.
#pragma once

#include <gtest/gtest.h>

#include "gobin/runtime_layout.h"

namespace gotap::gobin {

inline void ExpectSameG(const GLayout& a, const GLayout& b) {
  EXPECT_EQ(a.stack_lo, b.stack_lo);
  EXPECT_EQ(a.stack_hi, b.stack_hi);
  EXPECT_EQ(a.m, b.m);
  EXPECT_EQ(a.sched_sp, b.sched_sp);
  EXPECT_EQ(a.sched_pc, b.sched_pc);
  EXPECT_EQ(a.sched_bp, b.sched_bp);
  EXPECT_EQ(a.syscallsp, b.syscallsp);
  EXPECT_EQ(a.syscallpc, b.syscallpc);
  EXPECT_EQ(a.atomicstatus, b.atomicstatus);
  EXPECT_EQ(a.goid, b.goid);
  EXPECT_EQ(a.waitsince, b.waitsince);
  EXPECT_EQ(a.waitreason, b.waitreason);
  EXPECT_EQ(a.lockedm, b.lockedm);
  EXPECT_EQ(a.gopc, b.gopc);
  EXPECT_EQ(a.startpc, b.startpc);
  EXPECT_EQ(a.parent_goid, b.parent_goid);
}

}  // namespace gotap::gobin
