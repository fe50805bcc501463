// Preconditions for loading gotap's BPF program, checked before libbpf is asked to do anything
// so that the user gets an error that says what to change.
#pragma once

#include "base/status.h"

namespace gotap::bpf {

// kPermissionDenied naming each missing capability: CAP_BPF (or CAP_SYS_ADMIN) to load programs
// and create maps, CAP_PERFMON (or CAP_SYS_ADMIN) to attach uprobes and read user memory.
Status CheckTracingCapabilities();

// kUnsupported when the running kernel exposes no BTF (/sys/kernel/btf/vmlinux), which the
// program's CO-RE relocations need.
Status CheckKernelBtf();

}  // namespace gotap::bpf
