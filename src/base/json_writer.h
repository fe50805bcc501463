// A small, fast writer of JSON text into a std::string, for output paths that run per function or
// per traced call (nlohmann::json builds a tree per line and was a third of `gotap funcs`'s time).
//
// Always produces valid JSON: strings are escaped, and bytes that are not valid UTF-8 (anything a
// target binary or process holds) become U+FFFD. The caller pairs Begin/End calls; keys are
// trusted ASCII literals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gotap {

// Appends `raw` as a quoted JSON string.
void AppendJsonString(std::string* out, std::string_view raw);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);  // inside an object, before each value
  JsonWriter& String(std::string_view value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);  // NaN and infinities become null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Appends already-serialised JSON (e.g. nested output of another writer).
  JsonWriter& Raw(std::string_view json);

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void Separate();

  std::string* out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

}  // namespace gotap
