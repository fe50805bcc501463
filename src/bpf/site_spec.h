// Building and checking the site specs (gotap_intf.h) that userspace hands to the BPF program.
// The caller (probe planning) decides what to capture; this layer only knows the kernel-side
// encoding: pt_regs offsets, stack offsets, and the per-site goroutine lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "bpf/gotap_intf.h"

namespace gotap::bpf {

// Byte offset in x86-64 struct pt_regs of a 64-bit register named like "rax", "r14", "rsp";
// nullopt for any other name.
std::optional<int16_t> X86PtRegsOffset(std::string_view reg);

// Where g, goid and stack.hi are for the sites of one binary. The numbers are the binary's
// (gobin::RuntimeModel and the register ABI, filled in by trace/plan.cc): this layer keeps no
// Go fact of its own, so there are no defaults.
struct GoroutineLayout {
  uint8_t g_source = GOTAP_G_REG;  // enum gotap_g_source
  int16_t g_offset = 0;            // pt_regs offset of g's register, or g's offset from fs_base
  uint16_t goid_offset = 0;        // runtime.g.goid
  uint16_t stack_hi_offset = 0;    // runtime.g.stack.hi
};

// `size` bytes (1, 2, 4, 8) of a register / of the stack at SP + sp_offset at the site.
gotap_capture CaptureRegister(int16_t pt_regs_offset, uint8_t size);
gotap_capture CaptureStack(int16_t sp_offset, uint8_t size);
// The slot holds a pointer to string data whose length is in slot len_slot; up to max_len
// bytes are copied from the target.
gotap_capture WithStringData(gotap_capture slot, uint8_t len_slot, uint16_t max_len);
// The slot holds a pointer; max_len bytes are copied from it.
gotap_capture WithBytes(gotap_capture slot, uint16_t max_len);

// A spec with the given captures; kInvalidArgument when it fails ValidateSiteSpec.
StatusOr<gotap_site_spec> MakeSiteSpec(uint32_t func_id, gotap_site_kind kind,
                                       const GoroutineLayout& layout,
                                       std::span<const gotap_capture> captures = {},
                                       uint8_t flags = 0);

// Rejects specs the BPF program would misread: unknown kinds or sources, sizes other than
// 1/2/4/8, unaligned register offsets, length slots out of range, COUNT func ids >= max_funcs.
Status ValidateSiteSpec(const gotap_site_spec& spec, uint32_t max_funcs);

}  // namespace gotap::bpf
