#include "base/glob.h"

#include <gtest/gtest.h>

#include "base/escape.h"

namespace gotap {
namespace {

TEST(GlobMatch, GoNames) {
  EXPECT_TRUE(GlobMatch("main.*", "main.main"));
  EXPECT_TRUE(GlobMatch("main.*", "main.(*Store).Get"));
  EXPECT_FALSE(GlobMatch("main.*", "runtime.main"));
  EXPECT_TRUE(GlobMatch("net/http.(*conn).*", "net/http.(*conn).serve"));
  EXPECT_FALSE(GlobMatch("net/http.(*conn).*", "net/http.(*connReader).Read"));
  EXPECT_TRUE(GlobMatch("*Parse*", "github.com/evanw/esbuild/internal/js_parser.Parse"));
  EXPECT_TRUE(GlobMatch("main.Map[...]", "main.Map[...]"));  // brackets are literal
  EXPECT_FALSE(GlobMatch("main.Map[.]", "main.Map[...]"));
  EXPECT_TRUE(GlobMatch("main.f?b", "main.fib"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
}

TEST(NearestNames, PrefersContainingAndClose) {
  std::vector<std::string_view> names = {"main.(*Store).Get", "main.(*Store).Put", "runtime.main",
                                         "main.checksum"};
  auto near = NearestNames("main.(*Store).Gt", names, 2);
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near[0], "main.(*Store).Get");
  auto sub = NearestNames("checksum", names, 1);
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(sub[0], "main.checksum");
}

TEST(EscapeForTerminal, EscapesControlAndInvalidBytes) {
  EXPECT_EQ(EscapeForTerminal("hello"), "hello");
  EXPECT_EQ(EscapeForTerminal("a\"b\\c\n"), "a\\\"b\\\\c\\n");
  EXPECT_EQ(EscapeForTerminal(std::string_view("\x1b[2J", 4)), "\\x1b[2J");
  EXPECT_EQ(EscapeForTerminal("h\xc3\xa9llo"), "h\xc3\xa9llo");  // valid UTF-8 kept
  EXPECT_EQ(EscapeForTerminal("\xc3\x28"), "\\xc3(");            // invalid sequence
  EXPECT_EQ(EscapeForTerminal(std::string_view("\0", 1)), "\\x00");
  EXPECT_EQ(EscapeForTerminal("\xc2\x85"), "\\xc2\\x85");  // C1 control NEL
}

}  // namespace
}  // namespace gotap
