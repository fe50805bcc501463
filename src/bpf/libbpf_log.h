// libbpf's messages, kept instead of printed: on a failed load they hold the verifier log, the
// only useful explanation, which the caller appends to its error. Every program gotap loads (the
// trace program and the ns program) goes through this one hook. GOTAP_LIBBPF_VERBOSE=1 also
// echoes every message, debug ones included, to stderr.
#pragma once

#include <string>

namespace gotap::bpf {

// Installs the hook (once per process) and empties this thread's log: call before opening or
// loading a skeleton.
void ClearLibbpfLog();

// The last `lines` lines of this thread's log since ClearLibbpfLog, as "\nlibbpf: ...", or "" when
// it is empty.
std::string LibbpfLogTail(int lines);

}  // namespace gotap::bpf
