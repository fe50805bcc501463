// GoogleTest helpers for Status / StatusOr.
#pragma once

#include <gtest/gtest.h>

#include "base/status.h"

#define GOTAP_TEST_CONCAT_INNER(a, b) a##b
#define GOTAP_TEST_CONCAT(a, b) GOTAP_TEST_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                                                    \
  do {                                                                     \
    ::gotap::Status gotap_test_status_ = (expr);                           \
    ASSERT_TRUE(gotap_test_status_.ok()) << gotap_test_status_.ToString(); \
  } while (0)

#define GOTAP_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();     \
  lhs = std::move(tmp).value()

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  GOTAP_ASSERT_OK_AND_ASSIGN_IMPL(GOTAP_TEST_CONCAT(gotap_test_or_, __LINE__), lhs, expr)
