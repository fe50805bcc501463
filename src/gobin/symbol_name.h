// What a Go symbol name can look like, for telling names read from a binary's tables apart from
// bytes read at a wrong offset. Names come from pclntab and inline trees; a misread offset lands
// mid-name (").unlock") or in other data ("\x01").
#pragma once

#include <string_view>

namespace gotap::gobin {

// True iff `name` could be a Go function symbol: valid UTF-8 without control characters, starting
// with a letter or '_' (package paths and assembly symbols such as `_rt0_amd64_linux` do), with
// (), [] and {} balanced and properly nested, and spaces only inside them or before a type
// literal's brace (`type:.eq.struct { a int }`, `F[go.shape.interface {}]`). Permissive on purpose:
// every name the Go toolchains write passes; what it rejects is not a name.
bool IsGoSymbolName(std::string_view name);

}  // namespace gotap::gobin
