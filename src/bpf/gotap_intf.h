/* The contract between gotap.bpf.c and userspace: map keys and values, the site specs that
 * userspace writes, and the call records the BPF program emits to the ring buffer.
 *
 * Plain C with fixed-width kernel types, included by the BPF program (after vmlinux.h) and by
 * C++ (after <linux/types.h>). Every struct's size is pinned below so that a change on one side
 * that the other side does not see fails to compile. Userspace decodes records with memcpy.
 *
 * Address spaces: every "offset" in a site spec is relative to something at run time (a byte
 * offset into struct pt_regs, into runtime.g, or from the stack pointer at the probed
 * instruction). File offsets of probe sites never reach the BPF program; they go to the link.
 */
#ifndef GOTAP_BPF_GOTAP_INTF_H_
#define GOTAP_BPF_GOTAP_INTF_H_

#ifndef __bpf__
#include <linux/types.h>
#endif

#ifdef __cplusplus
#define GOTAP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define GOTAP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

enum gotap_limits {
  GOTAP_MAX_CAPTURES = 32, /* capture slots per site; a power of two */
  GOTAP_AREA_MAX = 1024,   /* bytes of one capture area (args or results); a power of two */
  GOTAP_STACK_DEPTH = 64,  /* open traced frames per goroutine; a power of two */
  GOTAP_SLOT_ARGS = 2048,  /* argument bytes a goroutine slot keeps for its open frames; a power
                            * of two >= GOTAP_AREA_MAX */
  GOTAP_PT_REGS_SIZE = 168 /* x86-64 struct pt_regs */
};

/* What a site does when it fires. Selected by the site spec, never by the program section. */
enum gotap_site_kind {
  GOTAP_SITE_ENTRY = 1,  /* push a frame (or emit at once with GOTAP_SITE_F_ENTRY_ONLY) */
  GOTAP_SITE_RETURN = 2, /* a RET instruction: pop the matching frame, emit one record */
  GOTAP_SITE_COUNT = 3,  /* add 1 to func_counts[func_id] (GOTAP_SITE_F_UNCOUNT: subtract 1) */
  /* The function's morestack block (paired with a GOTAP_SITE_F_DEDUP entry): the next entry hit
   * at this depth is the same call re-entering the function, not a new call. */
  GOTAP_SITE_MORESTACK = 4
};

enum gotap_site_flags {
  /* ENTRY: ignore a hit when the goroutine's top frame has the same depth and function and its
   * MORESTACK site fired since (the function re-entered from its start after morestack). For
   * entry sites before the stack check's branch, which fire again on that re-entry. */
  GOTAP_SITE_F_DEDUP = 1,
  /* ENTRY: the function has no RET to probe; emit an ENTRY_ONLY record with the arguments. */
  GOTAP_SITE_F_ENTRY_ONLY = 2,
  /* RETURN: add the call's latency to the function's in-kernel histogram instead of emitting
   * a record (gotap latency); no per-call traffic. */
  GOTAP_SITE_F_HISTOGRAM = 4,
  /* ENTRY: the entry site is also an exit of the call (a function that is one RET, or one
   * tail JMP): after the entry, the RETURN spec at cookie + exit_delta runs at the same hit.
   * That spec is never attached itself: two probes at one address fire in an order the kernel
   * does not promise. */
  GOTAP_SITE_F_EXIT_HERE = 8,
  /* RETURN: not a RET but a jump to another function, which returns to this call's caller (a
   * tail call): the call ends here, before its results exist; none are captured. */
  GOTAP_SITE_F_TAIL_CALL = 16,
  /* COUNT: subtract one instead of adding. For the morestack block's CALL of a function counted
   * at its stack check's branch, which runs once more per morestack trip: the difference of the
   * two sites' hits is the exact number of calls, and both sites are emulated by the kernel. */
  GOTAP_SITE_F_UNCOUNT = 32,
  /* RETURN with HISTOGRAM: capture 0 is the first word of the function's `error` result (its
   * itab, nonzero iff the error is not nil); a non-nil error adds one to func_errors[func_id].
   * Counted only for calls that reach the histogram (they pass the filters). */
  GOTAP_SITE_F_COUNT_ERRORS = 64
};

/* Goroutine ids of system stacks. Every M's g0 and signal-stack g (gsignal) has goid 0: the BPF
 * program keys such a stack by its g's address, as this bit | g, and records carry that key as
 * their goid. An M keeps its g0 and gsignal and runs on one thread, so calls on them never move
 * between threads; g0 and gsignal are kept apart because their depths are not comparable. */
#define GOTAP_GOID_SYSTEM_STACK (1ULL << 63)

/* In-kernel latency histograms (per-CPU array `hist`, key func_id * GOTAP_HIST_SLOTS + slot,
 * sized by userspace):
 * slot b < GOTAP_HIST_BUCKETS counts calls whose duration d (ns) falls in bucket b, where the
 * bucket of d is 4 * floor(log2 d) + the two bits after d's leading one (d < 4: bucket d), i.e.
 * four linear sub-buckets per power of two; then the sum, the minimum and the maximum. */
enum gotap_hist {
  GOTAP_HIST_BUCKETS = 256,
  GOTAP_HIST_SUM = 256,
  GOTAP_HIST_MIN = 257,
  GOTAP_HIST_MAX = 258,
  GOTAP_HIST_SLOTS = 260 /* rounded up; the `hist` map has this many per traced function */
};

/* The histogram bucket of a duration of d ns (see enum gotap_hist). Shared so that userspace
 * tests check the very function the BPF program runs. */
static inline __u32 gotap_hist_bucket(__u64 d) {
  if (d < 4) return (__u32)d;
  __u32 log = 0;
  __u64 v = d;
  if (v >> 32) {
    v >>= 32;
    log += 32;
  }
  if (v >> 16) {
    v >>= 16;
    log += 16;
  }
  if (v >> 8) {
    v >>= 8;
    log += 8;
  }
  if (v >> 4) {
    v >>= 4;
    log += 4;
  }
  if (v >> 2) {
    v >>= 2;
    log += 2;
  }
  if (v >> 1) log += 1;
  return 4 * log + (__u32)((d >> (log - 2)) & 3);
}

/* Where the current goroutine's g pointer is at the site. */
enum gotap_g_source {
  GOTAP_G_REG = 1, /* a register (amd64 ABIInternal: R14); g_offset = its pt_regs byte offset */
  GOTAP_G_TLS = 2  /* g = *(fs_base + g_offset); -8 for amd64 ELF executables */
};

enum gotap_capture_source {
  GOTAP_SRC_NONE = 0,
  GOTAP_SRC_REG = 1,   /* offset = byte offset into struct pt_regs (multiple of 8) */
  GOTAP_SRC_STACK = 2, /* offset = bytes from SP at the site; at a Go entry 0(SP) = return pc */
  /* --ctx-from (iface_intf.h): word offset/8 of the context lent to this goroutine by a live
   * caller, 0 when there is none. */
  GOTAP_SRC_SCOPE = 3,
  /* --ctx-from, at a RET of the lending function: ends the loan made at this depth; reads 0. */
  GOTAP_SRC_SCOPE_END = 4
};

enum gotap_deref {
  GOTAP_DEREF_NONE = 0,
  /* The raw value is a pointer; copy min(value of slot len_slot, max_len) bytes from it. The
   * length slot is read as a signed 64-bit number of the slot's size; negative means 0. */
  GOTAP_DEREF_STRING_DATA = 1,
  /* The raw value is a pointer; copy max_len bytes from it. */
  GOTAP_DEREF_BYTES = 2,
  /* The raw value is an interface's first word, len_slot holds its data word: walk it and what
   * it refers to (iface_intf.h). IFACE: word 0 is an itab; EFACE (any): word 0 is a *_type. */
  GOTAP_DEREF_IFACE = 3,
  GOTAP_DEREF_EFACE = 4,
  /* As IFACE, and lends the interface to the calls below this one on the goroutine (--ctx-from:
   * see GOTAP_SRC_SCOPE). */
  GOTAP_DEREF_IFACE_LEND = 5,
  /* The raw value is a pointer to a value of a type known at planning: walked as an interface
   * whose dynamic type is the root type of typed walk len_slot (iface_intf.h). A nil pointer
   * walks to no node. */
  GOTAP_DEREF_TYPED = 6
};

/* Whether a slot's deref writes walk nodes (iface_intf.h) rather than plain bytes. */
static inline int gotap_deref_walks(__u8 deref) {
  return deref >= GOTAP_DEREF_IFACE && deref <= GOTAP_DEREF_TYPED;
}

/* One captured value. In the record's capture area each slot, in spec order, is written as
 * `size` raw little-endian bytes; a slot with deref != NONE is followed by a __u16 byte count
 * n and n bytes of target memory (n = 0 and GOTAP_REC_CAPTURE_FAULT if the read failed; for
 * the interface derefs, n bytes of walk nodes: see iface_intf.h). When
 * the area would exceed GOTAP_AREA_MAX the record has GOTAP_REC_TRUNCATED: a copy is shortened,
 * or the area ends before the first slot whose raw value (and count) did not fit. */
struct gotap_capture {
  __u8 source;   /* enum gotap_capture_source */
  __u8 size;     /* 1, 2, 4 or 8 */
  __u8 deref;    /* enum gotap_deref */
  __u8 len_slot; /* STRING_DATA: index of the slot holding the length */
  __s16 offset;  /* see enum gotap_capture_source */
  __u16 max_len; /* deref: at most this many bytes copied */
};

/* Value of the `sites` array map; the index is the uprobe_multi cookie of the site. The
 * per-binary facts (where g is, goid and stack.hi offsets in runtime.g) are repeated in each
 * site so that the hot path needs one lookup. */
struct gotap_site_spec {
  __u32 func_id; /* chosen by userspace; < max_funcs for GOTAP_SITE_COUNT */
  __u8 kind;     /* enum gotap_site_kind */
  __u8 flags;    /* enum gotap_site_flags */
  __u8 g_source; /* enum gotap_g_source */
  __u8 ncaptures;
  __s16 g_offset;        /* see enum gotap_g_source */
  __u16 goid_offset;     /* byte offset of goid in runtime.g (152 for Go 1.13-1.22) */
  __u16 stack_hi_offset; /* byte offset of stack.hi in runtime.g (8 in every Go version) */
  __u16 exit_delta;      /* GOTAP_SITE_F_EXIT_HERE: the exit's spec is at cookie + exit_delta */
  /* Link-time vaddr of the probed instruction, 0 if not given. The program learns the target's
   * load bias as pc - vaddr (0 for non-PIE executables) and uses it where it meets addresses of
   * the binary's own data: runtime type descriptors, itabs, package variables. */
  __u64 vaddr;
  struct gotap_capture captures[GOTAP_MAX_CAPTURES];
};

enum gotap_record_flags {
  GOTAP_REC_COMPLETE = 1,       /* entry and return both seen; results captured at the RET */
  GOTAP_REC_UNWOUND = 2,        /* abandoned (a panic unwound it, or the goroutine left it) */
  GOTAP_REC_ENTRY_ONLY = 4,     /* GOTAP_SITE_F_ENTRY_ONLY: no return will be reported */
  GOTAP_REC_ARGS_MISSING = 8,   /* the stored arguments were lost (map full or evicted) */
  GOTAP_REC_CAPTURE_FAULT = 16, /* a capture read failed; its bytes are zero / n = 0 */
  GOTAP_REC_TRUNCATED = 32,     /* a capture area hit GOTAP_AREA_MAX */
  GOTAP_REC_OPEN = 64,          /* set by userspace only: still open when the session drained */
  /* The record ends with a struct gotap_ns_set: the namespaces of the thread that emitted it
   * (the return's thread; the entry's for ENTRY_ONLY; the detecting one for UNWOUND). */
  GOTAP_REC_NS = 128,
  /* COMPLETE at a GOTAP_SITE_F_TAIL_CALL site: the call ended by a tail jump; no results, and
   * the duration stops at the jump. */
  GOTAP_REC_TAIL_CALL = 256
};

/* One ring buffer record: this header, then args_len bytes of the entry's capture area, then
 * results_len bytes of the RET's capture area, then a struct gotap_ns_set iff GOTAP_REC_NS.
 * Times are bpf_ktime_get_ns (CLOCK_MONOTONIC). */
struct gotap_call_record {
  __u64 entry_ns;
  __u64 duration_ns; /* COMPLETE: RET − entry; UNWOUND: detection − entry (an upper bound) */
  __u64 goid;        /* GOTAP_GOID_SYSTEM_STACK | g on a system stack (g0, gsignal) */
  __u64 depth;       /* stack.hi − SP at the entry site: bytes from the goroutine's stack top */
  __u32 tgid;
  __u32 entry_tid;
  __u32 return_tid; /* at the RET, or where the abandonment was seen; 0 for ENTRY_ONLY */
  __u32 func_id;
  __u16 flags; /* enum gotap_record_flags */
  __u16 args_len;
  __u16 results_len;
  __u16 level; /* index on the goroutine's shadow stack; 0 = outermost traced frame */
};

/* Per-goroutine shadow stack: in a goroutine slot (array `gslots`) or, when the goroutine's slot
 * is taken by another, in the LRU hash `stacks`. A frame is identified by depth, the distance
 * of the entry SP below stack.hi: it survives stack copying (stack.hi moves with the copy),
 * tells recursive calls apart, and with the goid survives thread migration. */
struct gotap_goroutine_key {
  __u64 goid;
  __u32 tgid;
  __u32 pad;
};

struct gotap_frame {
  __u64 depth;
  __u64 entry_ns;
  __u32 func_id;
  __u32 tid;
  __u16 rec_flags; /* GOTAP_REC_* flags gathered at the entry (capture faults, truncation) */
  __u16 has_args;  /* enum gotap_args_home: where this frame's capture area is */
  __u16 reentry;   /* 1 iff the function's MORESTACK site fired: its next entry hit is a re-entry */
  __u16 args_len;  /* GOTAP_ARGS_IN_SLOT: bytes of the area, the top ones of the slot's args */
};

enum gotap_args_home {
  GOTAP_ARGS_NONE = 0,    /* no arguments were captured */
  GOTAP_ARGS_IN_MAP = 1,  /* in the LRU hash frame_args */
  GOTAP_ARGS_IN_SLOT = 2, /* in the goroutine slot's args, pushed and popped with the frames */
};

struct gotap_shadow_stack {
  __u32 n; /* frames[0, n) are open, innermost last; n <= GOTAP_STACK_DEPTH */
  __u32 pad;
  struct gotap_frame frames[GOTAP_STACK_DEPTH];
};

/* A goroutine slot (array `gslots`): the shadow stack of the goroutine that owns it and the
 * capture areas of its open frames, stacked in frame order. A goroutine takes the slot its
 * runtime.g's address hashes to when the slot is free and gives it back when its last open frame
 * is popped: no map update, no copy of an empty stack, no delete per outermost call. A goroutine
 * whose slot is taken keeps its stack in `stacks` instead. Only the goroutine that owns a slot
 * touches it, and a goroutine runs on one thread at a time.
 *
 * The slot also remembers the goroutine's id and stack bounds as read at its last entry, so that
 * a RET of a goroutine whose g is in a register (Go >= 1.17) finds its frame without reading
 * runtime.g again (a user-memory read is the dearest step of a hit). The memory is trusted while
 * SP lies within those bounds: a copied stack moves to memory that was not the goroutine's
 * stack at the time. A g that the runtime reused for a new goroutine (the old one exited) is
 * told by its goid at the next entry, which always reads runtime.g. */
struct gotap_gslot {
  __u64 owner; /* gotap_gslot_tag of (g, tgid); 0 = free (taken by compare-and-swap) */
  struct gotap_goroutine_key key; /* the goroutine whose frames these are */
  __u64 g;                        /* its runtime.g */
  __u64 stack_lo;                 /* g.stack as read at the last entry */
  __u64 stack_hi;
  __u32 args_top; /* bytes of args used by open frames */
  __u32 pad;
  struct gotap_shadow_stack stack;
  __u8 args[2 * GOTAP_SLOT_ARGS]; /* [0, args_top) in use; the rest is slack for the verifier */
};

/* The owner tag of a goroutine slot: a hash of the goroutine's g and process, never 0. */
static inline __u64 gotap_gslot_tag(__u64 g, __u32 tgid) {
  return ((g ^ ((__u64)tgid << 48)) * 0x9E3779B97F4A7C15ULL) | 1;
}

/* Arguments of an open frame (LRU hash `frame_args`), deleted when the frame is popped. */
struct gotap_args_key {
  __u64 goid;
  __u32 tgid;
  __u32 level;
};

struct gotap_args_value {
  __u16 len;
  __u16 pad;
  __u32 pad2;
  __u8 data[GOTAP_AREA_MAX];
};

/* Indexes of the per-CPU `counters` array; userspace sums over CPUs. */
enum gotap_counter {
  GOTAP_CTR_RECORDS = 0,      /* records written to the ring */
  GOTAP_CTR_RING_FULL,        /* records lost: the ring had no room */
  GOTAP_CTR_STACK_OVERFLOW,   /* entries not recorded: shadow stack full */
  GOTAP_CTR_UNMATCHED_RETURN, /* RET without an open frame at its depth */
  GOTAP_CTR_NO_GOROUTINE,     /* g, goid or stack.hi unreadable */
  GOTAP_CTR_BAD_COOKIE,       /* a site fired whose spec is missing or invalid */
  GOTAP_CTR_DEDUPED,          /* entry hits ignored by GOTAP_SITE_F_DEDUP */
  GOTAP_CTR_STACK_MAP_FULL,   /* a goroutine's shadow stack could not be created */
  GOTAP_CTR_PREEMPTED,        /* hits dropped: the CPU's scratch space was in use (the
                               * program was preempted by another run on the same CPU) */
  GOTAP_CTR_FILTERED,         /* calls left out by the filters (not a loss) */
  GOTAP_CTR_HIST_FULL,        /* latencies lost: the grouped histogram map was full */
  GOTAP_CTR_NUM
};

/* In-kernel filters (`--filter 'goid==17'`): up to GOTAP_MAX_FILTERS conditions, all of which
 * must hold, set once before the program loads (read-only data, so a session without filters
 * runs none of the code). goid and pid are the same at every site of a goroutine, so they are
 * checked first thing at each hit: a filtered goroutine never gets a frame. tid (the thread at
 * the call's entry) and duration are checked when a record would be emitted or a latency added;
 * a call without a duration (ENTRY_ONLY) fails every duration condition. */
enum gotap_filter_field {
  GOTAP_FF_GOID = 1,
  GOTAP_FF_PID = 2,
  GOTAP_FF_TID = 3,
  GOTAP_FF_DURATION = 4 /* ns */
};

enum gotap_filter_op {
  GOTAP_OP_EQ = 1,
  GOTAP_OP_NE = 2,
  GOTAP_OP_LT = 3,
  GOTAP_OP_LE = 4,
  GOTAP_OP_GT = 5,
  GOTAP_OP_GE = 6
};

enum { GOTAP_MAX_FILTERS = 8 };

struct gotap_filter_cond {
  __u8 field; /* enum gotap_filter_field */
  __u8 op;    /* enum gotap_filter_op */
  __u16 pad;
  __u32 pad2;
  __u64 value;
};

/* Whether `v` satisfies `op value` (unsigned comparison). Shared with userspace tests. */
static inline int gotap_filter_holds(__u8 op, __u64 v, __u64 value) {
  switch (op) {
    case GOTAP_OP_EQ:
      return v == value;
    case GOTAP_OP_NE:
      return v != value;
    case GOTAP_OP_LT:
      return v < value;
    case GOTAP_OP_LE:
      return v <= value;
    case GOTAP_OP_GT:
      return v > value;
    case GOTAP_OP_GE:
      return v >= value;
  }
  return 0;
}

/* Latency histograms split by goroutine, thread or process (`gotap latency --by`): per-CPU hash
 * `hist_by`, key (func_id, group), value the GOTAP_HIST_SLOTS slots of enum gotap_hist. The
 * thread of a call is the one it entered on. */
enum gotap_hist_by { GOTAP_BY_NONE = 0, GOTAP_BY_GOID = 1, GOTAP_BY_TID = 2, GOTAP_BY_PID = 3 };

struct gotap_hist_key {
  __u32 func_id;
  __u32 pad;
  __u64 group; /* goid, tid or pid */
};

struct gotap_hist_value {
  __u64 slots[GOTAP_HIST_SLOTS];
};

/* Per-function histograms (hist_by == GOTAP_BY_NONE) keep the extremes apart, so that they can
 * be reset without touching the counts. */
struct gotap_hist_counts {
  __u64 slots[GOTAP_HIST_SUM + 1]; /* buckets, then the sum */
};

struct gotap_hist_extremes {
  __u64 min; /* 0: no call yet */
  __u64 max;
};

GOTAP_STATIC_ASSERT(sizeof(struct gotap_capture) == 8, "gotap_capture layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_site_spec) == 24 + 8 * GOTAP_MAX_CAPTURES,
                    "gotap_site_spec layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_call_record) == 56, "gotap_call_record layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_goroutine_key) == 16, "gotap_goroutine_key layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_frame) == 32, "gotap_frame layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_shadow_stack) == 8 + 32 * GOTAP_STACK_DEPTH,
                    "gotap_shadow_stack layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_args_key) == 16, "gotap_args_key layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_gslot) ==
                        56 + sizeof(struct gotap_shadow_stack) + 2 * GOTAP_SLOT_ARGS,
                    "gotap_gslot layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_filter_cond) == 16, "gotap_filter_cond layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_hist_key) == 16, "gotap_hist_key layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_hist_counts) == 8 * (GOTAP_HIST_SUM + 1),
                    "gotap_hist_counts layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_hist_extremes) == 16, "gotap_hist_extremes layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_args_value) == 8 + GOTAP_AREA_MAX,
                    "gotap_args_value layout");

#include "bpf/iface_intf.h"

#endif /* GOTAP_BPF_GOTAP_INTF_H_ */
