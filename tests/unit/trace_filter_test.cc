// --filter expressions and the comparison the BPF program runs.
#include <gtest/gtest.h>

#include "base/duration.h"
#include "trace/filter.h"

namespace gotap::trace {
namespace {

TEST(FilterTest, ParsesConditionsJoinedByAnd) {
  auto f = ParseFilter(" goid == 17&&duration>=1.5ms && tid!=42 && pid<9 ");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(FormatFilter(*f), "goid==17 && duration>=1500000ns && tid!=42 && pid<9");
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[1].field, GOTAP_FF_DURATION);
  EXPECT_EQ((*f)[1].op, GOTAP_OP_GE);
  EXPECT_EQ((*f)[1].value, 1'500'000u);
}

TEST(FilterTest, RejectsWhatItCannotCheck) {
  for (const char* bad : {"", "goid", "goid=17", "gid==1", "goid==-1", "goid==1x", "dur>5parsecs",
                          "goid==17 &&", "tid<=>3"}) {
    EXPECT_FALSE(ParseFilter(bad).ok()) << bad;
  }
}

TEST(FilterTest, ComparisonMatchesTheOperators) {
  EXPECT_TRUE(gotap_filter_holds(GOTAP_OP_EQ, 5, 5));
  EXPECT_FALSE(gotap_filter_holds(GOTAP_OP_NE, 5, 5));
  EXPECT_TRUE(gotap_filter_holds(GOTAP_OP_LT, 4, 5));
  EXPECT_FALSE(gotap_filter_holds(GOTAP_OP_LT, 5, 5));
  EXPECT_TRUE(gotap_filter_holds(GOTAP_OP_LE, 5, 5));
  EXPECT_TRUE(gotap_filter_holds(GOTAP_OP_GT, 6, 5));
  EXPECT_TRUE(gotap_filter_holds(GOTAP_OP_GE, 5, 5));
  EXPECT_FALSE(gotap_filter_holds(GOTAP_OP_GE, 4, 5));
  EXPECT_FALSE(gotap_filter_holds(0, 4, 5)) << "unknown operators never hold";
}

TEST(DurationTest, ParsesUnits) {
  EXPECT_EQ(*ParseNanoseconds("800ns"), 800u);
  EXPECT_EQ(*ParseNanoseconds("250us"), 250'000u);
  EXPECT_EQ(*ParseNanoseconds("1ms"), 1'000'000u);
  EXPECT_EQ(*ParseNanoseconds("2m"), 120'000'000'000u);
  EXPECT_EQ(*ParseNanoseconds("42"), 42u);
  EXPECT_DOUBLE_EQ(*ParseSeconds("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseSeconds("3"), 3.0);
  for (const char* bad : {"", "ms", "-1s", "1e400s", "5 s", "nan"}) {
    EXPECT_FALSE(ParseNanoseconds(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseSeconds("0s").ok());
  EXPECT_FALSE(ParseNanoseconds("1e10h").ok()) << "too long";
}

}  // namespace
}  // namespace gotap::trace
