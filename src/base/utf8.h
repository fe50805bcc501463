// Decoding one UTF-8 sequence of untrusted bytes, for the writers that must keep valid text and
// escape everything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gotap {

// The length (1..4) of the well-formed UTF-8 sequence at s[i], storing its code point in *cp;
// 0 if the bytes there are not one (bad lead or continuation byte, overlong form, surrogate,
// beyond U+10FFFF, or cut off by the end of s). Requires i < s.size().
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

}  // namespace gotap
