#include "base/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace gotap {
namespace {

TEST(JsonWriter, WritesNestedValues) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("name").String("main.(*T).M").Key("entry").Uint(4198400);
  w.Key("delta").Int(-3).Key("ok").Bool(true).Key("none").Null();
  w.Key("list").BeginArray().Uint(1).Uint(2).BeginObject().Key("x").Double(0.5).EndObject();
  w.EndArray().Key("nan").Double(std::nan("")).EndObject();
  EXPECT_EQ(out, R"({"name":"main.(*T).M","entry":4198400,"delta":-3,"ok":true,"none":null,)"
                 R"("list":[1,2,{"x":0.5}],"nan":null})");
}

TEST(JsonWriter, EscapesControlsAndReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(&out, std::string_view("a\"b\\\n\x01\xff\xc3\xa9\xed\xa0\x80", 12));
  EXPECT_EQ(out, "\"a\\\"b\\\\\\n\\u0001\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\"");
}

// Whatever bytes a target holds, the output parses as JSON.
TEST(JsonWriter, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string raw(rng() % 40, '\0');
    for (char& c : raw) c = static_cast<char>(rng());
    std::string out;
    JsonWriter(&out).BeginObject().Key("v").String(raw).EndObject();
    EXPECT_NO_THROW(nlohmann::json::parse(out)) << out;
  }
}

}  // namespace
}  // namespace gotap
