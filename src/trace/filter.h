// `--filter` expressions: conditions on goid, pid, tid and duration that the BPF program checks
// (see gotap_filter_cond in gotap_intf.h), e.g. "goid==17", "duration>=1ms && tid!=42".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bpf/gotap_intf.h"

namespace gotap::trace {

// Parses `text`: CONDITION [&& CONDITION]..., CONDITION = FIELD OP VALUE, FIELD one of goid, pid,
// tid, duration (alias: dur), OP one of == != < <= > >=, VALUE an unsigned integer (duration: a
// number with ns/us/ms/s, or plain nanoseconds). Whitespace is free. Errors name the bad part.
StatusOr<std::vector<gotap_filter_cond>> ParseFilter(std::string_view text);

// "goid==17 && duration>=1000000ns": the conditions as text (for messages and tests).
std::string FormatFilter(const std::vector<gotap_filter_cond>& conditions);

}  // namespace gotap::trace
