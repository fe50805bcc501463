#include "bpf/site_spec.h"

#include <array>
#include <utility>

namespace gotap::bpf {
namespace {

// struct pt_regs on x86-64, in order (arch/x86/include/asm/ptrace.h).
constexpr std::array<std::string_view, GOTAP_PT_REGS_SIZE / 8> kX86PtRegs = {
    "r15", "r14", "r13", "r12", "rbp",      "rbx", "r11", "r10",    "r9",  "r8", "rax",
    "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs",  "eflags", "rsp", "ss"};

bool ValidSize(uint8_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

}  // namespace

std::optional<int16_t> X86PtRegsOffset(std::string_view reg) {
  for (size_t i = 0; i < kX86PtRegs.size(); ++i) {
    if (kX86PtRegs[i] == reg) return static_cast<int16_t>(8 * i);
  }
  return std::nullopt;
}

gotap_capture CaptureRegister(int16_t pt_regs_offset, uint8_t size) {
  gotap_capture c{};
  c.source = GOTAP_SRC_REG;
  c.size = size;
  c.offset = pt_regs_offset;
  return c;
}

gotap_capture CaptureStack(int16_t sp_offset, uint8_t size) {
  gotap_capture c{};
  c.source = GOTAP_SRC_STACK;
  c.size = size;
  c.offset = sp_offset;
  return c;
}

gotap_capture WithStringData(gotap_capture slot, uint8_t len_slot, uint16_t max_len) {
  slot.deref = GOTAP_DEREF_STRING_DATA;
  slot.len_slot = len_slot;
  slot.max_len = max_len;
  return slot;
}

gotap_capture WithBytes(gotap_capture slot, uint16_t max_len) {
  slot.deref = GOTAP_DEREF_BYTES;
  slot.max_len = max_len;
  return slot;
}

StatusOr<gotap_site_spec> MakeSiteSpec(uint32_t func_id, gotap_site_kind kind,
                                       const GoroutineLayout& layout,
                                       std::span<const gotap_capture> captures, uint8_t flags) {
  if (captures.size() > GOTAP_MAX_CAPTURES) {
    return InvalidArgument("{} captures for one site; at most {}", captures.size(),
                           static_cast<int>(GOTAP_MAX_CAPTURES));
  }
  gotap_site_spec spec{};
  spec.func_id = func_id;
  spec.kind = static_cast<uint8_t>(kind);
  spec.flags = flags;
  spec.g_source = layout.g_source;
  spec.g_offset = layout.g_offset;
  spec.goid_offset = layout.goid_offset;
  spec.stack_hi_offset = layout.stack_hi_offset;
  spec.ncaptures = static_cast<uint8_t>(captures.size());
  for (size_t i = 0; i < captures.size(); ++i) spec.captures[i] = captures[i];
  RETURN_IF_ERROR(ValidateSiteSpec(spec, UINT32_MAX));
  return spec;
}

Status ValidateSiteSpec(const gotap_site_spec& spec, uint32_t max_funcs) {
  if (spec.kind == GOTAP_SITE_COUNT) {
    if (spec.func_id >= max_funcs) {
      return InvalidArgument("counting site for function {} but only {} counters", spec.func_id,
                             max_funcs);
    }
    if (spec.flags & ~GOTAP_SITE_F_UNCOUNT) {
      return InvalidArgument("counting sites take no flags but the uncount flag");
    }
    return Status::Ok();
  }
  if (spec.kind != GOTAP_SITE_ENTRY && spec.kind != GOTAP_SITE_RETURN &&
      spec.kind != GOTAP_SITE_MORESTACK) {
    return InvalidArgument("unknown site kind {}", spec.kind);
  }
  if (spec.flags & ~(GOTAP_SITE_F_DEDUP | GOTAP_SITE_F_ENTRY_ONLY | GOTAP_SITE_F_HISTOGRAM |
                     GOTAP_SITE_F_EXIT_HERE | GOTAP_SITE_F_TAIL_CALL | GOTAP_SITE_F_COUNT_ERRORS)) {
    return InvalidArgument("unknown site flags {:#x}", spec.flags);
  }
  if (spec.kind == GOTAP_SITE_RETURN &&
      (spec.flags &
       ~(GOTAP_SITE_F_HISTOGRAM | GOTAP_SITE_F_TAIL_CALL | GOTAP_SITE_F_COUNT_ERRORS)) != 0) {
    return InvalidArgument(
        "return sites take no flags but the histogram, tail-call and error-count flags");
  }
  if ((spec.flags & GOTAP_SITE_F_COUNT_ERRORS) &&
      (!(spec.flags & GOTAP_SITE_F_HISTOGRAM) || spec.ncaptures != 1 ||
       spec.captures[0].deref != GOTAP_DEREF_NONE || spec.captures[0].size != 8)) {
    return InvalidArgument(
        "an error-counting return is a histogram return capturing the error's first word");
  }
  if (spec.kind == GOTAP_SITE_ENTRY &&
      (spec.flags & (GOTAP_SITE_F_HISTOGRAM | GOTAP_SITE_F_TAIL_CALL))) {
    return InvalidArgument("entry sites take neither the histogram nor the tail-call flag");
  }
  if ((spec.flags & GOTAP_SITE_F_EXIT_HERE) &&
      ((spec.flags & GOTAP_SITE_F_ENTRY_ONLY) || spec.exit_delta == 0)) {
    return InvalidArgument("an entry that is also an exit needs the exit's spec after it");
  }
  if (spec.kind == GOTAP_SITE_MORESTACK && (spec.flags != 0 || spec.ncaptures != 0)) {
    return InvalidArgument("morestack sites take no flags and capture nothing");
  }
  if (spec.goid_offset % 8 != 0 || spec.stack_hi_offset % 8 != 0) {
    return InvalidArgument("runtime.g offsets {} and {} are not 8-byte aligned", spec.goid_offset,
                           spec.stack_hi_offset);
  }
  if (spec.g_source == GOTAP_G_REG) {
    if (spec.g_offset < 0 || spec.g_offset % 8 || spec.g_offset >= GOTAP_PT_REGS_SIZE) {
      return InvalidArgument("g register offset {} is not a pt_regs slot", spec.g_offset);
    }
  } else if (spec.g_source != GOTAP_G_TLS) {
    return InvalidArgument("unknown g source {}", spec.g_source);
  }
  if (spec.ncaptures > GOTAP_MAX_CAPTURES) {
    return InvalidArgument("{} captures; at most {}", spec.ncaptures,
                           static_cast<int>(GOTAP_MAX_CAPTURES));
  }
  for (int i = 0; i < spec.ncaptures; ++i) {
    const gotap_capture& c = spec.captures[i];
    if (!ValidSize(c.size)) return InvalidArgument("capture {}: size {}", i, c.size);
    if (c.source == GOTAP_SRC_REG) {
      if (c.offset < 0 || c.offset % 8 || c.offset >= GOTAP_PT_REGS_SIZE) {
        return InvalidArgument("capture {}: {} is not a pt_regs offset", i, c.offset);
      }
    } else if (c.source != GOTAP_SRC_STACK && c.source != GOTAP_SRC_SCOPE &&
               c.source != GOTAP_SRC_SCOPE_END) {
      return InvalidArgument("capture {}: unknown source {}", i, c.source);
    }
    if (c.deref == GOTAP_DEREF_STRING_DATA || c.deref == GOTAP_DEREF_IFACE ||
        c.deref == GOTAP_DEREF_EFACE || c.deref == GOTAP_DEREF_IFACE_LEND) {
      if (c.len_slot >= spec.ncaptures || c.len_slot == i) {
        return InvalidArgument("capture {}: length slot {} out of range", i, c.len_slot);
      }
    } else if (c.deref == GOTAP_DEREF_TYPED) {
      if (c.len_slot >= GOTAP_IFACE_TYPED_ROOTS - 1) {
        return InvalidArgument("capture {}: typed walk root {} out of range", i, c.len_slot);
      }
    } else if (c.deref != GOTAP_DEREF_NONE && c.deref != GOTAP_DEREF_BYTES) {
      return InvalidArgument("capture {}: unknown deref {}", i, c.deref);
    }
    if (c.deref != GOTAP_DEREF_NONE && c.size != 8) {
      return InvalidArgument("capture {}: a dereferenced pointer must be 8 bytes", i);
    }
  }
  return Status::Ok();
}

}  // namespace gotap::bpf
