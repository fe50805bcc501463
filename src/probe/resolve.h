// Which functions of a binary the selectors name: for trace (and latency, graph, record, serve)
// and for gotap ns's PROBE patterns alike.
//   - a glob matches every function whose Go name (or pclntab name) it matches, except wrappers
//     and the linker's section markers (go:textfipsstart, go:buildid);
//   - a name matches that function's body (not its wrappers), or, for a generic function's bare
//     name, every instantiation (as in Delve).
#pragma once

#include <utility>
#include <vector>

#include "base/status.h"
#include "gobin/binary.h"
#include "probe/selector.h"

namespace gotap::probe {

// A function and the first selector that named it.
using Resolved = std::pair<const gobin::FuncRecord*, const Selector*>;

// The functions the selectors name, each once, in selector order. Errors (kNotFound, with the
// nearest names) for a selector that matches nothing; kInvalidArgument for a function that exists
// only inlined (naming where it was inlined).
StatusOr<std::vector<Resolved>> ResolveSelectors(const gobin::Binary& binary,
                                                 const std::vector<Selector>& selectors);

}  // namespace gotap::probe
