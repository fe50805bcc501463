// Go values as people read them (Go syntax, strings quoted and escaped) and as JSON.
//
// Text: 42, true, "hello", []byte("ab"), []int(len=3 cap=4 0xc000012000), {x:1 y:"s"},
// 0xc000010000 / nil for pointers, maps, chans and funcs, error(itab=0x… data=0x…) / nil for
// interfaces. Unknown bytes render as <float in register>, <not captured> or <unreadable>.
// A string longer than what was copied ends with ...(+N bytes).
//
// JSON: numbers for integers, floats and lengths; strings for Go strings and []byte contents;
// "0x…" strings for addresses; objects for structs, slices and interfaces; null for nil and for
// unknown values (with the reason under "unavailable" at the value's top level).
#pragma once

#include <string>

#include "base/json_writer.h"
#include "decode/captured_value.h"

namespace gotap::decode {

std::string RenderText(const CapturedValue& value);
// Writes the value (not its name or type) as one JSON value.
void RenderJson(const CapturedValue& value, JsonWriter* json);
// Why the value is not fully known ("float in register", ...), or "" if it is.
std::string Unavailable(const CapturedValue& value);

}  // namespace gotap::decode
