// SPDX-License-Identifier: GPL-2.0
/* The one generic gotap BPF program. Every probe site of every traced function runs it; what it
 * does is decided by the site spec found under the attach cookie (see gotap_intf.h):
 *   ENTRY  - find the goroutine, drop frames it abandoned, push a frame with the arguments;
 *   RETURN - pop frames the goroutine abandoned (UNWOUND records), then pop the matching frame
 *            and emit one COMPLETE record with arguments and results;
 *   COUNT  - add (or subtract) one to a per-function counter (gotap trace --count).
 * It is loaded once (expected_attach_type BPF_TRACE_UPROBE_MULTI, or 0 for the perf-event
 * fallback) and never touches the target's memory other than through bpf_probe_read_user. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "bpf/gotap_intf.h"
#include "bpf/ns_read.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* max_entries of these maps are set by userspace before load; the values here are defaults. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct gotap_site_spec);
} sites SEC(".maps");

/* Goroutine slots (see struct gotap_gslot): where most goroutines keep their shadow stack and
 * arguments. Sized by userspace to gslot_mask + 1 entries. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, struct gotap_gslot);
} gslots SEC(".maps");

/* Shadow stacks of goroutines whose slot another goroutine holds. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, struct gotap_goroutine_key);
  __type(value, struct gotap_shadow_stack);
} stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, struct gotap_args_key);
  __type(value, struct gotap_args_value);
} frame_args SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 << 20);
} ring SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, GOTAP_CTR_NUM);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, __u64);
} func_counts SEC(".maps");

/* Calls that returned a non-nil error, per function (GOTAP_SITE_F_COUNT_ERRORS); sized by
 * userspace like `hist`. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u64);
} func_errors SEC(".maps");

/* Latency histograms per function (hist_by == GOTAP_BY_NONE), indexed by func_id and sized by
 * userspace to the traced functions: counts and sum in `hist`, min and max in `hist_extremes`
 * (which userspace resets alone; see Session::ResetHistogramExtremes). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct gotap_hist_counts);
} hist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct gotap_hist_extremes);
} hist_extremes SEC(".maps");

/* Latency histograms per (function, group) for hist_by != GOTAP_BY_NONE; sized by userspace (1
 * entry when unused). Entries are allocated when first used, not up front. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 4096);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct gotap_hist_key);
  __type(value, struct gotap_hist_value);
} hist_by SEC(".maps");

/* Set by userspace before load (see gotap_intf.h); the verifier drops the code they disable. */
const volatile __u32 n_filters = 0;
const volatile struct gotap_filter_cond filters[GOTAP_MAX_FILTERS] = {};
const volatile __u32 hist_group_by = GOTAP_BY_NONE;
/* gslots' entries - 1 (entries are a power of two); no_gslots: keep every stack in `stacks`. */
const volatile __u32 gslot_mask = 0;
const volatile __u32 no_gslots = 0;
/* Nonzero: every record carries the namespaces of the thread that emits it (`--ns`). */
const volatile __u32 with_ns = 0;
const volatile struct gotap_hist_value empty_hist = {};

enum {
  kAreaMask = GOTAP_AREA_MAX - 1,
  kDepthMask = GOTAP_STACK_DEPTH - 1,
  kNumRegs = GOTAP_PT_REGS_SIZE / 8,
  kIpIndex = 16, /* struct pt_regs: ..., ip, cs, flags, sp, ss; ip is the probed address */
  kSpIndex = 19,
  kGHead = 256, /* bytes of runtime.g read at once when they hold goid (a power of two) */
};

/* Hides a value from the compiler so that a following mask is kept: clang drops masks it can prove
 * redundant from an earlier check, but the verifier tracks bounds per register and needs them. */
#define OPAQUE(x) asm volatile("" : "+r"(x))

/* Per-CPU working memory. Capture areas are followed by slack so that the verifier can prove
 * every masked write in bounds; the logical limit GOTAP_AREA_MAX is enforced separately. */
struct scratch {
  __u64 busy; /* nonzero while a run on this CPU uses the scratch space */
  __u64 regs[kNumRegs];
  __u8 ghead[2 * kGHead]; /* the start of runtime.g (stack bounds ... goid); slack after it */
  __u64 values[GOTAP_MAX_CAPTURES];
  /* The current hit. */
  struct gotap_goroutine_key key;
  __u64 g;        /* the goroutine's runtime.g */
  __u64 stack_lo; /* its stack bounds, when read at this hit (0 when taken from its slot) */
  __u64 stack_hi;
  __u64 depth;
  __u64 now;
  __u64 bias; /* the target's load bias (see gotap_site_spec.vaddr) */
  __u32 tid;
  __u32 off;       /* capture cursor; kept in memory so the verifier does not track it */
  __u16 cap_flags; /* GOTAP_REC_* flags of the capture in progress */
  __u16 results_len;
  /* Bytes the walks before this one left of their max_len: a walk may use them too, so that a
   * small value (a nil error, an address) does not leave the area empty behind it. */
  __u32 walk_spare;
  struct gotap_frame tmp_frame; /* the frame of an ENTRY_ONLY hit, never stored */
  struct gotap_args_value args;
  __u8 args_slack[GOTAP_AREA_MAX + 16];
  __u8 results[GOTAP_AREA_MAX];
  __u8 results_slack[GOTAP_AREA_MAX + 16];
  struct gotap_call_record rec;
  /* both areas, each proven < 2 * GOTAP_AREA_MAX, then the namespace set (GOTAP_REC_NS) */
  __u8 rec_data[4 * GOTAP_AREA_MAX + sizeof(struct gotap_ns_set)];
  struct gotap_ns_set ns;
  struct gotap_ctx_loans loans; /* a goroutine's first loan, before it is stored */
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_map SEC(".maps");

#include "bpf/iface_walk.bpf.h"

/* Initial value for a goroutine's shadow stack (n = 0). */
const volatile struct gotap_shadow_stack empty_stack = {};

/* The Go goroutine id of the current hit: 0 on a system stack. */
static __always_inline __u64 goid_of(const struct scratch* s) {
  return (s->key.goid & GOTAP_GOID_SYSTEM_STACK) ? 0 : s->key.goid;
}

static __always_inline void count(__u32 index) {
  __u64* c = bpf_map_lookup_elem(&counters, &index);
  if (c) *c += 1;
}

/* The site's g when it is in a register (GOTAP_G_REG), else 0. */
static __always_inline __u64 g_in_register(const struct gotap_site_spec* spec,
                                           const struct scratch* s) {
  if (spec->g_source != GOTAP_G_REG) return 0;
  __u32 index = ((__u32)(__u16)spec->g_offset) / 8;
  return index < kNumRegs ? s->regs[index] : 0;
}

/* Reads the site's g, then goid and stack bounds from it. A system stack (goid 0: an M's g0 or
 * its signal stack) is keyed by its g (GOTAP_GOID_SYSTEM_STACK). Returns 0 on success. */
static __always_inline int find_goroutine(const struct gotap_site_spec* spec, struct scratch* s) {
  __u64 g = 0;
  if (spec->g_source == GOTAP_G_REG) {
    g = g_in_register(spec, s);
  } else if (spec->g_source == GOTAP_G_TLS) {
    struct task_struct* task = bpf_get_current_task_btf();
    __u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
    if (fsbase == 0 || bpf_probe_read_user(&g, sizeof(g), (void*)(fsbase + spec->g_offset)))
      return -1;
  } else {
    return -1;
  }
  if (g == 0) return -1;
  __u64 goid = 0, bounds[2] = {}; /* runtime.g's stack: lo, then hi */
  __u32 span = (__u32)spec->goid_offset + 8;
  if (spec->stack_hi_offset == 8 && span <= kGHead) {
    /* One read from the start of g covers stack and goid (every Go release so far): each user
     * read is a fault-guarded copy, dearer than the bytes it moves. */
    OPAQUE(span);
    span &= 2 * kGHead - 1;
    if (span < 16 || bpf_probe_read_user(s->ghead, span, (void*)g)) return -1;
    __u32 at = spec->goid_offset;
    OPAQUE(at);
    at &= kGHead - 8;
    bounds[0] = *(__u64*)(s->ghead);
    bounds[1] = *(__u64*)(s->ghead + 8);
    goid = *(__u64*)(s->ghead + at);
  } else if (bpf_probe_read_user(&goid, sizeof(goid), (void*)(g + spec->goid_offset)) ||
             bpf_probe_read_user(bounds, sizeof(bounds), (void*)(g + spec->stack_hi_offset - 8))) {
    return -1;
  }
  __u64 sp = s->regs[kSpIndex], hi = bounds[1];
  /* Off g's stack: a signal handler on the signal stack before it switched g, which has no
   * depth gotap could pair by. */
  if (sp > hi || sp < bounds[0]) return -1;
  s->key.goid = goid != 0 ? goid : GOTAP_GOID_SYSTEM_STACK | g;
  s->g = g;
  s->stack_lo = bounds[0];
  s->stack_hi = hi;
  s->depth = hi - sp;
  return 0;
}

/* State shared with bpf_loop callbacks. Loop bodies run as callbacks, and keep their cursors in
 * scratch memory (which the verifier does not track), so that the verifier sees one body with
 * unknown, masked values instead of one body per iteration and path. */
struct loop_ctx {
  struct scratch* s;
  const struct gotap_site_spec* spec;
  __u8* out; /* capture area being written (GOTAP_AREA_MAX + 16 bytes of slack follow it) */
  struct gotap_shadow_stack* st;
  struct gotap_gslot* slot; /* st's slot, or 0 when st is in `stacks` */
  __u64 depth;
  __u64 inclusive;
};

/* Reads the raw value of capture slot i into s->values[i]. */
static long read_value_cb(__u64 i, struct loop_ctx* lc) {
  struct scratch* s = lc->s;
  const struct gotap_capture* c = &lc->spec->captures[i & (GOTAP_MAX_CAPTURES - 1)];
  __u32 size = c->size;
  if (size > 8) size = 8;
  __u64 v = 0;
  if (c->source == GOTAP_SRC_REG) {
    __u32 index = ((__u32)(__u16)c->offset) / 8;
    if (index < kNumRegs)
      v = s->regs[index];
    else
      s->cap_flags |= GOTAP_REC_CAPTURE_FAULT;
  } else if (c->source == GOTAP_SRC_STACK) {
    void* addr = (void*)(s->regs[kSpIndex] + (__s64)c->offset);
    if (bpf_probe_read_user(&v, size, addr)) s->cap_flags |= GOTAP_REC_CAPTURE_FAULT;
  } else if (c->source == GOTAP_SRC_SCOPE || c->source == GOTAP_SRC_SCOPE_END) {
    v = ctx_loan_read(s, c);
  }
  if (size < 8) v &= (1ULL << (size * 8)) - 1;
  s->values[i & (GOTAP_MAX_CAPTURES - 1)] = v;
  return 0;
}

/* The signed value of slot `index` (sign-extended from its size). */
static __always_inline __s64 slot_signed(const struct gotap_site_spec* spec, struct scratch* s,
                                         __u32 index) {
  index &= GOTAP_MAX_CAPTURES - 1;
  __u64 v = s->values[index];
  __u32 bits = (__u32)spec->captures[index].size * 8;
  if (bits == 0 || bits >= 64) return (__s64)v;
  return ((__s64)(v << (64 - bits))) >> (64 - bits);
}

/* Appends slot i to the capture area at s->off (format: see struct gotap_capture). Returns 1 to
 * stop the loop when the slot does not fit. */
static long pack_slot_cb(__u64 i, struct loop_ctx* lc) {
  struct scratch* s = lc->s;
  const struct gotap_site_spec* spec = lc->spec;
  __u8* out = lc->out;
  const struct gotap_capture* c = &spec->captures[i & (GOTAP_MAX_CAPTURES - 1)];
  __u32 size = c->size;
  if (size > 8) size = 8;
  __u32 deref = c->deref != GOTAP_DEREF_NONE;
  __u64 off = s->off;
  if (off >= GOTAP_AREA_MAX || off + size + deref * 2 > GOTAP_AREA_MAX) {
    s->cap_flags |= GOTAP_REC_TRUNCATED;
    return 1;
  }
  __u64 v = s->values[i & (GOTAP_MAX_CAPTURES - 1)];
  __u64 at = off;
  OPAQUE(at);
  *(__u64*)(out + (at & kAreaMask)) = v; /* little-endian: the low `size` bytes count */
  off += size;
  if (deref && gotap_deref_walks(c->deref)) {
    /* A typed walk's raw value is the data word itself; len_slot names its root type. */
    __u64 data =
        c->deref == GOTAP_DEREF_TYPED ? v : s->values[c->len_slot & (GOTAP_MAX_CAPTURES - 1)];
    if (c->deref == GOTAP_DEREF_IFACE_LEND) ctx_loan_store(s, v, data);
    s->off = iface_pack(s, out, off, c, v, data);
    return 0;
  }
  if (deref) {
    __u64 want = c->max_len;
    if (c->deref == GOTAP_DEREF_STRING_DATA) {
      __s64 len = slot_signed(spec, s, c->len_slot);
      if (len < 0) len = 0;
      if ((__u64)len < want) want = len;
    }
    __u64 room = GOTAP_AREA_MAX - off - 2;
    if (want > room) {
      want = room;
      s->cap_flags |= GOTAP_REC_TRUNCATED;
    }
    __u64 got = want, data_at = off + 2;
    OPAQUE(got);
    OPAQUE(data_at);
    got &= kAreaMask;
    if (got > 0 && bpf_probe_read_user(out + (data_at & kAreaMask), got, (void*)v)) {
      got = 0;
      s->cap_flags |= GOTAP_REC_CAPTURE_FAULT;
    }
    at = off;
    OPAQUE(at);
    *(__u16*)(out + (at & kAreaMask)) = got;
    off += 2 + got;
  }
  s->off = off;
  return 0;
}

/* Writes the capture area of `spec` to out and returns its length. */
static __always_inline __u32 capture(const struct gotap_site_spec* spec, struct scratch* s,
                                     __u8* out) {
  s->cap_flags = 0;
  s->off = 0;
  s->walk_spare = 0;
  __u32 n = spec->ncaptures;
  if (n == 0) return 0;
  if (n > GOTAP_MAX_CAPTURES) n = GOTAP_MAX_CAPTURES;
  struct loop_ctx lc = {.s = s, .spec = spec, .out = out};
  bpf_loop(n, read_value_cb, &lc, 0);
  bpf_loop(n, pack_slot_cb, &lc, 0);
  return s->off;
}

/* A stored area length as the verifier needs it: at most GOTAP_AREA_MAX, provably < 2x that. */
static __always_inline __u64 area_len(__u64 len) {
  if (len > GOTAP_AREA_MAX) len = GOTAP_AREA_MAX;
  OPAQUE(len);
  return len & (2 * GOTAP_AREA_MAX - 1);
}

/* Whether every condition on `field`s in [first, last] holds. A missing duration (has_duration
 * = 0) fails duration conditions. */
static __always_inline int filters_hold(__u8 first, __u8 last, __u64 goid, __u64 pid, __u64 tid,
                                        __u64 duration, int has_duration) {
  for (__u32 i = 0; i < GOTAP_MAX_FILTERS; ++i) {
    if (i >= n_filters) break;
    __u8 field = filters[i].field;
    if (field < first || field > last) continue;
    __u64 v = 0;
    if (field == GOTAP_FF_GOID)
      v = goid;
    else if (field == GOTAP_FF_PID)
      v = pid;
    else if (field == GOTAP_FF_TID)
      v = tid;
    else if (!has_duration)
      return 0;
    else
      v = duration;
    if (!gotap_filter_holds(filters[i].op, v, filters[i].value)) return 0;
  }
  return 1;
}

/* The conditions checked when a call ends: the thread it entered on, its duration. */
static __always_inline int call_passes(const struct scratch* s, const struct gotap_frame* f,
                                       __u64 duration, int has_duration) {
  if (n_filters == 0) return 1;
  return filters_hold(GOTAP_FF_TID, GOTAP_FF_DURATION, 0, 0, f->tid, duration, has_duration);
}

#include "bpf/goroutine_slots.bpf.h"

/* Emits one record for frame f at shadow-stack level `level` (the top frame of slot g's stack
 * when g). Its arguments come from the slot or frame_args (deleted there) or, for an ENTRY_ONLY
 * hit, from s->args. */
static __always_inline void emit(struct scratch* s, struct gotap_gslot* g,
                                 const struct gotap_frame* f, __u32 level, __u16 flags,
                                 int with_results) {
  int entry_only = (flags & GOTAP_REC_ENTRY_ONLY) != 0;
  if (!call_passes(s, f, s->now - f->entry_ns, !entry_only)) {
    count(GOTAP_CTR_FILTERED);
    if (!entry_only && f->has_args == GOTAP_ARGS_IN_MAP) {
      struct gotap_args_key ak = {.goid = s->key.goid, .tgid = s->key.tgid, .level = level};
      bpf_map_delete_elem(&frame_args, &ak);
    }
    return;
  }
  struct gotap_call_record* r = &s->rec;
  r->entry_ns = f->entry_ns;
  r->duration_ns = entry_only ? 0 : s->now - f->entry_ns;
  r->goid = s->key.goid;
  r->depth = f->depth;
  r->tgid = s->key.tgid;
  r->entry_tid = f->tid;
  r->return_tid = (flags & GOTAP_REC_ENTRY_ONLY) ? 0 : s->tid;
  r->func_id = f->func_id;
  r->level = level;
  flags |= f->rec_flags;

  __u64 args_len = 0;
  if (flags & GOTAP_REC_ENTRY_ONLY) {
    args_len = area_len(s->args.len);
    bpf_probe_read_kernel(s->rec_data, args_len, s->args.data);
  } else {
    args_len = take_args(s, g, f, level, &flags);
  }
  __u64 results_len = 0;
  if (with_results) {
    results_len = area_len(s->results_len);
    bpf_probe_read_kernel(s->rec_data + args_len, results_len, s->results);
  }
  __u64 ns_len = 0;
  if (with_ns) {
    gotap_read_task_ns(bpf_get_current_task_btf(), &s->ns);
    __u64 at = args_len + results_len;
    OPAQUE(at);
    at &= 4 * GOTAP_AREA_MAX - 1;
    bpf_probe_read_kernel(s->rec_data + at, sizeof(s->ns), &s->ns);
    ns_len = sizeof(s->ns);
    flags |= GOTAP_REC_NS;
  }
  r->flags = flags;
  r->args_len = args_len;
  r->results_len = results_len;
  __u64 size = sizeof(*r) + args_len + results_len + ns_len;
  /* Waking the reader for every record costs more than writing it (an irq_work and a context
   * switch per record when the reader keeps up). The reader polls on a timer instead; it is only
   * woken when the ring is an eighth full. */
  __u64 wakeup = BPF_RB_NO_WAKEUP;
  if (bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) >= bpf_ringbuf_query(&ring, BPF_RB_RING_SIZE) / 8)
    wakeup = BPF_RB_FORCE_WAKEUP;
  if (bpf_ringbuf_output(&ring, r, size, wakeup))
    count(GOTAP_CTR_RING_FULL);
  else
    count(GOTAP_CTR_RECORDS);
}

/* Pops the top frame as UNWOUND if it is at least as deep as lc->depth (inclusive) or deeper
 * (!inclusive); returns 1 to stop otherwise. A live frame is always shallower than the code
 * that runs now, so such frames were abandoned. */
static long pop_abandoned_cb(__u64 i, struct loop_ctx* lc) {
  struct gotap_shadow_stack* st = lc->st;
  __u32 n = st->n;
  if (n == 0 || n > GOTAP_STACK_DEPTH) return 1;
  struct gotap_frame* f = &st->frames[(n - 1) & kDepthMask];
  if (f->depth < lc->depth || (f->depth == lc->depth && !lc->inclusive)) return 1;
  emit(lc->s, lc->slot, f, n - 1, GOTAP_REC_UNWOUND, 0);
  struct stack_ref ref = {.slot = lc->slot, .st = st};
  pop_frame(ref, f, n);
  return 0;
}

static __always_inline void pop_abandoned(struct scratch* s, struct stack_ref ref, __u64 depth,
                                          int inclusive) {
  struct loop_ctx lc = {
      .s = s, .st = ref.st, .slot = ref.slot, .depth = depth, .inclusive = inclusive};
  bpf_loop(GOTAP_STACK_DEPTH, pop_abandoned_cb, &lc, 0);
}

/* Finds the current goroutine's shadow stack, if it has one. ref.exited: the slot of the hit's g
 * holds the frames of the goroutine that had this g before (it exited with them open:
 * runtime.Goexit, or tracing started mid-call, and the runtime reused its g); only an entry
 * takes such a slot over (on_entry), anything else finds no stack. */
static __always_inline struct stack_ref find_stack(struct scratch* s) {
  struct stack_ref ref = {};
  __u64 tag = 0;
  struct gotap_gslot* g = home_slot(s->g, s->key.tgid, &tag);
  if (g && holds(g, tag, s->g, s->key.tgid)) {
    ref.exited = g->key.goid != s->key.goid;
    if (s->stack_hi) {
      g->stack_lo = s->stack_lo;
      g->stack_hi = s->stack_hi;
    }
    ref.slot = g;
    ref.st = &g->stack;
    return ref;
  }
  ref.st = bpf_map_lookup_elem(&stacks, &s->key);
  return ref;
}

/* Gives the current goroutine an empty shadow stack: its slot when free, else one in `stacks`.
 * Call only when find_stack found none. */
static __always_inline struct stack_ref create_stack(struct scratch* s) {
  struct stack_ref ref = {};
  __u64 tag = 0;
  struct gotap_gslot* g = home_slot(s->g, s->key.tgid, &tag);
  if (s->stack_hi && g && g->owner == 0 && __sync_val_compare_and_swap(&g->owner, 0, tag) == 0) {
    g->key.goid = s->key.goid;
    g->key.tgid = s->key.tgid;
    g->key.pad = 0;
    g->g = s->g;
    g->stack_lo = s->stack_lo;
    g->stack_hi = s->stack_hi;
    g->args_top = 0;
    g->stack.n = 0;
    ref.slot = g;
    ref.st = &g->stack;
    return ref;
  }
  bpf_map_update_elem(&stacks, &s->key, (const void*)&empty_stack, BPF_NOEXIST);
  ref.st = bpf_map_lookup_elem(&stacks, &s->key);
  return ref;
}

static __always_inline void on_entry(const struct gotap_site_spec* spec, struct scratch* s) {
  struct stack_ref ref = find_stack(s);
  struct gotap_shadow_stack* st = ref.st;
  struct gotap_gslot* exited = ref.exited ? ref.slot : 0;
  if (st) {
    __u64 goid = s->key.goid, depth = s->depth;
    __u32 n = st->n;
    if (exited) {
      /* The frames of the g's previous goroutine are all abandoned: reported under its goid. */
      s->key.goid = exited->key.goid;
      depth = 0;
    } else if ((spec->flags & GOTAP_SITE_F_DEDUP) && n > 0 && n <= GOTAP_STACK_DEPTH) {
      struct gotap_frame* top = &st->frames[(n - 1) & kDepthMask];
      /* The same call re-entering after morestack: its frame is already open. Without the
       * MORESTACK mark it is a new call at the same depth (the open frame was abandoned, e.g.
       * by a panic), handled below like any abandoned frame. */
      if (top->depth == s->depth && top->func_id == spec->func_id && top->reentry) {
        top->reentry = 0;
        count(GOTAP_CTR_DEDUPED);
        return;
      }
    }
    /* One call site for both cases: each bpf_loop call site is verified again. */
    pop_abandoned(s, ref, depth, 1);
    if (exited) {
      s->key.goid = goid;
      exited->key.goid = goid;
      exited->args_top = 0;
      exited->stack.n = 0;
    }
  }
  __u32 args_len = capture(spec, s, s->args.data);
  s->args.len = args_len;

  if (spec->flags & GOTAP_SITE_F_ENTRY_ONLY) {
    struct gotap_frame* f = &s->tmp_frame;
    f->depth = s->depth;
    f->entry_ns = s->now;
    f->func_id = spec->func_id;
    f->tid = s->tid;
    f->rec_flags = s->cap_flags;
    f->has_args = GOTAP_ARGS_NONE;
    f->reentry = 0;
    f->args_len = 0;
    emit(s, 0, f, st ? st->n : 0, GOTAP_REC_ENTRY_ONLY, 0);
    release_stack(s, ref);
    return;
  }
  if (!st) {
    ref = create_stack(s);
    st = ref.st;
    if (!st) {
      count(GOTAP_CTR_STACK_MAP_FULL);
      return;
    }
  }
  __u32 n = st->n;
  if (n >= GOTAP_STACK_DEPTH) {
    count(GOTAP_CTR_STACK_OVERFLOW);
    return;
  }
  struct gotap_frame* f = &st->frames[n & kDepthMask];
  f->depth = s->depth;
  f->entry_ns = s->now;
  f->func_id = spec->func_id;
  f->tid = s->tid;
  f->rec_flags = s->cap_flags;
  f->has_args = GOTAP_ARGS_NONE;
  f->reentry = 0;
  f->args_len = 0;
  if (spec->ncaptures) keep_args(s, ref, f, n);
  st->n = n + 1;
}

/* A MORESTACK site: the goroutine's innermost open frame, if it is this function's at this
 * depth, is about to be re-entered from the function's start; mark it so that the entry site's
 * second hit is not taken for a new call. */
static __always_inline void on_morestack(const struct gotap_site_spec* spec, struct scratch* s) {
  struct stack_ref ref = find_stack(s);
  struct gotap_shadow_stack* st = ref.exited ? 0 : ref.st;
  if (!st) return;
  __u32 n = st->n;
  if (n == 0 || n > GOTAP_STACK_DEPTH) return;
  struct gotap_frame* top = &st->frames[(n - 1) & kDepthMask];
  if (top->depth == s->depth && top->func_id == spec->func_id) top->reentry = 1;
}

/* Adds duration d to the (func, group) histogram in hist_by, creating it when needed. */
static __always_inline void record_grouped_latency(__u32 func, __u64 group, __u64 d) {
  struct gotap_hist_key key = {.func_id = func, .group = group};
  struct gotap_hist_value* h = bpf_map_lookup_elem(&hist_by, &key);
  if (!h) {
    bpf_map_update_elem(&hist_by, &key, (const void*)&empty_hist, BPF_NOEXIST);
    h = bpf_map_lookup_elem(&hist_by, &key);
    if (!h) {
      count(GOTAP_CTR_HIST_FULL);
      return;
    }
  }
  h->slots[gotap_hist_bucket(d) & (GOTAP_HIST_BUCKETS - 1)] += 1;
  h->slots[GOTAP_HIST_SUM] += d;
  if (h->slots[GOTAP_HIST_MIN] == 0 || d < h->slots[GOTAP_HIST_MIN]) h->slots[GOTAP_HIST_MIN] = d;
  if (d > h->slots[GOTAP_HIST_MAX]) h->slots[GOTAP_HIST_MAX] = d;
}

/* Adds the call to its function's histogram; returns 0 when a filter left it out. */
static __always_inline int record_latency(const struct scratch* s, const struct gotap_frame* f,
                                          __u64 d) {
  if (!call_passes(s, f, d, 1)) {
    count(GOTAP_CTR_FILTERED);
    return 0;
  }
  __u32 func = f->func_id;
  if (hist_group_by != GOTAP_BY_NONE) {
    __u64 group = hist_group_by == GOTAP_BY_GOID  ? goid_of(s)
                  : hist_group_by == GOTAP_BY_TID ? f->tid
                                                  : s->key.tgid;
    record_grouped_latency(func, group, d);
    return 1;
  }
  struct gotap_hist_counts* h = bpf_map_lookup_elem(&hist, &func);
  struct gotap_hist_extremes* e = bpf_map_lookup_elem(&hist_extremes, &func);
  if (!h || !e) {
    count(GOTAP_CTR_HIST_FULL);
    return 1;
  }
  h->slots[gotap_hist_bucket(d) & (GOTAP_HIST_BUCKETS - 1)] += 1;
  h->slots[GOTAP_HIST_SUM] += d;
  if (e->min == 0 || d < e->min) e->min = d;
  if (d > e->max) e->max = d;
  return 1;
}

/* GOTAP_SITE_F_COUNT_ERRORS: counts the call when its error result (capture 0's word) is not
 * nil. A register read with the register ABI; one stack read before it (Go < 1.17). */
static __always_inline void count_error(const struct gotap_site_spec* spec, struct scratch* s,
                                        __u32 func) {
  if (spec->ncaptures == 0) return;
  struct loop_ctx lc = {.s = s, .spec = spec};
  read_value_cb(0, &lc);
  if (s->values[0] == 0) return;
  __u64* c = bpf_map_lookup_elem(&func_errors, &func);
  if (c) *c += 1;
}

static __always_inline void on_return(const struct gotap_site_spec* spec, struct scratch* s) {
  struct stack_ref ref = find_stack(s);
  if (ref.exited) ref.st = 0; /* another goroutine's frames: this RET's entry was not seen */
  struct gotap_shadow_stack* st = ref.st;
  if (!st) {
    count(GOTAP_CTR_UNMATCHED_RETURN);
    return;
  }
  pop_abandoned(s, ref, s->depth, 0);
  __u32 n = st->n;
  struct gotap_frame* f = &st->frames[(n - 1) & kDepthMask];
  if (n == 0 || n > GOTAP_STACK_DEPTH || f->depth != s->depth) {
    count(GOTAP_CTR_UNMATCHED_RETURN);
  } else if (f->func_id == spec->func_id && (spec->flags & GOTAP_SITE_F_HISTOGRAM)) {
    if (record_latency(s, f, s->now - f->entry_ns) && (spec->flags & GOTAP_SITE_F_COUNT_ERRORS))
      count_error(spec, s, f->func_id);
    pop_frame(ref, f, n);
  } else {
    /* One emit call site for the three records a RET can end a frame with: each inlined copy
     * costs the verifier as much again. */
    __u16 flags = GOTAP_REC_COMPLETE;
    int with_results = 1;
    s->results_len = 0;
    if (f->func_id != spec->func_id) {
      /* Another function's frame at our depth: it was abandoned, and our entry was not seen. */
      flags = GOTAP_REC_UNWOUND;
      with_results = 0;
      count(GOTAP_CTR_UNMATCHED_RETURN);
    } else if (spec->flags & GOTAP_SITE_F_TAIL_CALL) {
      flags |= GOTAP_REC_TAIL_CALL;
    } else {
      s->results_len = capture(spec, s, s->results);
      flags |= s->cap_flags;
    }
    emit(s, ref.slot, f, n - 1, flags, with_results);
    pop_frame(ref, f, n);
  }
  release_stack(s, ref);
}

SEC("uprobe")
int gotap_site(struct pt_regs* ctx) {
  __u32 site = (__u32)bpf_get_attach_cookie(ctx);
  const struct gotap_site_spec* spec = bpf_map_lookup_elem(&sites, &site);
  if (!spec || spec->kind == 0) {
    count(GOTAP_CTR_BAD_COOKIE);
    return 0;
  }
  if (spec->kind == GOTAP_SITE_COUNT) {
    __u32 func = spec->func_id;
    __u64* c = bpf_map_lookup_elem(&func_counts, &func);
    if (c)
      *c += (spec->flags & GOTAP_SITE_F_UNCOUNT) ? (__u64)-1 : 1; /* sums wrap modulo 2^64 */
    else
      count(GOTAP_CTR_BAD_COOKIE);
    return 0;
  }
  __u32 zero = 0;
  struct scratch* s = bpf_map_lookup_elem(&scratch_map, &zero);
  if (!s) return 0;
  if (s->busy) {
    count(GOTAP_CTR_PREEMPTED);
    return 0;
  }
  s->busy = 1;
  /* Loads straight from the context: cheaper than a helper call for the 21 words. */
  const __u64* regs = (const __u64*)ctx;
#pragma unroll
  for (int i = 0; i < kNumRegs; ++i) s->regs[i] = regs[i];
  s->bias = spec->vaddr ? s->regs[kIpIndex] - spec->vaddr : 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  s->key.tgid = pid_tgid >> 32;
  s->key.pad = 0;
  s->tid = (__u32)pid_tgid;
  /* A RET needs no read of runtime.g when the goroutine's slot remembers it. */
  int remembered = spec->kind == GOTAP_SITE_RETURN && remembered_goroutine(spec, s) == 0;
  if (!remembered && find_goroutine(spec, s)) {
    count(GOTAP_CTR_NO_GOROUTINE);
  } else {
    s->now = bpf_ktime_get_ns();
    /* The RETURN spec to run: this site's, or the exit sharing an entry site's address. */
    const struct gotap_site_spec* exit = 0;
    if (n_filters != 0 &&
        !filters_hold(GOTAP_FF_GOID, GOTAP_FF_PID, goid_of(s), s->key.tgid, 0, 0, 0)) {
      /* Counted once per call, at its entry. */
      if (spec->kind == GOTAP_SITE_ENTRY) count(GOTAP_CTR_FILTERED);
    } else if (spec->kind == GOTAP_SITE_ENTRY) {
      on_entry(spec, s);
      if (spec->flags & GOTAP_SITE_F_EXIT_HERE) {
        __u32 at = site + spec->exit_delta;
        exit = bpf_map_lookup_elem(&sites, &at);
        if (!exit || exit->kind != GOTAP_SITE_RETURN) {
          count(GOTAP_CTR_BAD_COOKIE);
          exit = 0;
        }
      }
    } else if (spec->kind == GOTAP_SITE_RETURN) {
      exit = spec;
    } else if (spec->kind == GOTAP_SITE_MORESTACK) {
      on_morestack(spec, s);
    } else {
      count(GOTAP_CTR_BAD_COOKIE);
    }
    if (exit) on_return(exit, s);
  }
  s->busy = 0;
  return 0;
}
