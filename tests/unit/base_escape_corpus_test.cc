// The two escapers over a corpus of hostile strings like those a traced process may hold
// (terminal escape sequences, invalid UTF-8, NULs, C1 controls, Unicode separators, long
// values): JSON output parses and decodes to the input's text; terminal output holds no byte a
// terminal acts on and can be unescaped back to the exact input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "../utf8_oracle.h"
#include "base/escape.h"
#include "base/json_writer.h"

namespace gotap {
namespace {

using testing::AsJsonText;
using testing::WellFormedLength;

const std::vector<std::string> kHostile = {"\x1b[31m",
                                           "\x1b]0;title\x07",
                                           "\x1bP+q\x1b\\",
                                           "\x9b"
                                           "31m",
                                           "\xc2\x9b",
                                           "\xc2\x85",
                                           "\xe2\x80\xa8",
                                           "\xe2\x80\xa9",
                                           std::string(1, '\0'),
                                           "\x07",
                                           "\r",
                                           "\n",
                                           "\t",
                                           "\x7f",
                                           "\xff",
                                           "\xc0\xaf",
                                           "\xe0\x80\xaf",
                                           "\xed\xa0\x80",
                                           "\xf4\x90\x80\x80",
                                           "\xc3",
                                           "\xf0\x9f\x98",
                                           "\xc3\xa9",
                                           "\xe4\xb8\x96",
                                           "\xf0\x9f\x98\x80",
                                           "\"",
                                           "\\",
                                           "\\u0000",
                                           "\\x41"};

std::vector<std::string> Corpus(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  std::vector<std::string> corpus;
  for (int i = 0; i < n; ++i) {
    std::string s;
    if (rng() % 50 == 0) {
      s.resize(1000 + rng() % 20000);
      for (char& c : s) c = static_cast<char>(rng());
    } else {
      for (int k = rng() % 12; k > 0; --k) {
        if (rng() % 2) {
          s += kHostile[rng() % kHostile.size()];
        } else {
          s += static_cast<char>(rng());
        }
      }
    }
    corpus.push_back(std::move(s));
  }
  return corpus;
}

// Reverses EscapeForTerminal: \" \\ \n \t \r \xHH. Sets *ok to false on anything else.
std::string Unescape(const std::string& text, bool* ok) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    char c = i + 1 < text.size() ? text[++i] : '?';
    if (c == '"' || c == '\\') {
      out += c;
    } else if (c == 'n' || c == 't' || c == 'r') {
      out += c == 'n' ? '\n' : c == 't' ? '\t' : '\r';
    } else if (c == 'x' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      *ok = false;
    }
  }
  return out;
}

// The first byte of `text` a terminal could act on, or "".
std::string FirstUnsafe(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x20 || c == 0x7f) return "control " + std::to_string(c);
    size_t n = WellFormedLength(text, i);
    if (n == 0) return "invalid UTF-8 " + std::to_string(c);
    if (n == 2 && c == 0xc2 && static_cast<uint8_t>(text[i + 1]) < 0xa0) return "C1 control";
    if (text.compare(i, 3, "\xe2\x80\xa8") == 0 || text.compare(i, 3, "\xe2\x80\xa9") == 0) {
      return "line/paragraph separator";
    }
    i += n;
  }
  return "";
}

TEST(EscapeCorpus, JsonDecodesToTheInputText) {
  int invalid = 0;
  for (const std::string& raw : Corpus(1, 3000)) {
    std::string out;
    JsonWriter(&out).BeginObject().Key("v").String(raw).EndObject();
    nlohmann::json j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << out.substr(0, 200);
    EXPECT_EQ(j["v"].get<std::string>(), AsJsonText(raw));
    if (AsJsonText(raw) != raw) ++invalid;
  }
  EXPECT_GT(invalid, 500);  // the corpus exercises the replacement
}

TEST(EscapeCorpus, TerminalTextIsSafeAndLossless) {
  for (const std::string& raw : Corpus(2, 3000)) {
    std::string text = EscapeForTerminal(raw);
    ASSERT_EQ(FirstUnsafe(text), "") << text.substr(0, 200);
    bool ok = true;
    EXPECT_EQ(Unescape(text, &ok), raw);
    EXPECT_TRUE(ok) << text.substr(0, 200);
  }
}

}  // namespace
}  // namespace gotap
