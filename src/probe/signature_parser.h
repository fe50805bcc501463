// Parses the signature part of a selector: "(x string, y string) (string, string)".
// Internal to the probe layer; callers use ParseSelector (selector.h).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "probe/signature.h"
#include "probe/type_arena.h"

namespace gotap::probe {

// Parses text[start..] as a parameter list and optional results (a single type or a
// parenthesised list) up to the end of `text`. Types are built in `arena`. Errors are
// kInvalidArgument with a one-line message ending in "at column N", N counted from 1 over the
// whole of `text` (so that it points into the selector the user wrote).
StatusOr<Signature> ParseSignature(std::string_view text, size_t start, TypeArena& arena);

}  // namespace gotap::probe
