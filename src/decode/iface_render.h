// Interface values as people read them:
//   nil                                     a nil interface
//   error("open /x: no such file or directory")   an error gotap can spell (wrapped errors
//                                           followed up to a bound)
//   context{value requestID="abc-123" → cancel(done: context canceled) →
//           timer(deadline 2030-01-02T03:04:05Z, in 4.2s) → background}
//   int(42), main.ctxKey("user"), *main.T(0xc000012000)   other dynamic types (inside a
//                                           context, values of predeclared types go bare: 42)
// and as JSON: {"type": …, "value": …, "error": …, "context": [{"kind": …}, …]}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/json_writer.h"
#include "decode/iface.h"

namespace gotap::decode {

struct IfaceRenderOptions {
  uint64_t now_ns = 0;  // wall clock of the call (ns since the epoch): deadlines' time left
  std::string ctx_key;  // non-empty: a context renders as just this key's value
};

std::string IfaceText(const IfaceNode& node, const IfaceRenderOptions& options);
// `word0` (the interface's itab or type word, 0 if unknown) is written as "type_word"; the data
// word as "data", as for interfaces the probe did not walk.
void IfaceJson(const IfaceNode& node, const IfaceRenderOptions& options, JsonWriter* json,
               uint64_t word0 = 0);

// A pointer the probe followed (GOTAP_DEREF_TYPED): `n` is the walk of the value it points to.
// "&main.Request{ID:100, …}", "&int(5)", "nil"; "(*main.T)(0xc000…)" when the value was not
// copied (no recipe for its type, or the walk's bounds). JSON: IfaceJson of the value.
std::string PointeeText(const IfaceNode& n, const IfaceRenderOptions& options);

// The message Error() would return, when every link of it could be decoded.
std::optional<std::string> ErrorMessage(const IfaceNode& node);

// time.Time's {wall, ext} as ns since the Unix epoch (the monotonic reading is dropped).
int64_t GoTimeUnixNanos(uint64_t wall, int64_t ext);
// "2030-01-02T03:04:05Z", "2026-11-21T23:59:59.123456789Z" (UTC).
std::string FormatUtc(int64_t unix_ns);

}  // namespace gotap::decode
