// SPDX-License-Identifier: GPL-2.0
/* gotap ns: namespace and thread hygiene of Go programs (see ns_intf.h for the contract).
 *
 * One uprobe program (ns_site) runs at every site; the site under the attach cookie says what
 * to check. Two raw syscall tracepoint programs record setns/unshare of watched processes. Nothing
 * is written to the target; user memory is only read with bpf_probe_read_user.
 *
 * A process's original namespaces come from `orig_ns` (userspace fills it from /proc before
 * the target runs probed code); a process that is not there yet gets its thread-group leader's
 * namespaces on its first uprobe hit. The syscall programs ignore processes missing there. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ns_read.bpf.h"
#include "nswatch/ns_intf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct gotap_ns_config cfg = {};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct gotap_ns_site);
} sites SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32); /* tgid */
  __type(value, struct gotap_ns_set);
} orig_ns SEC(".maps");

/* Poisoned-thread uses already reported, so each (goroutine, thread) is reported once. */
struct reported_key {
  __u32 tgid;
  __u32 tid;
  __u64 goid;
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct reported_key);
  __type(value, __u8);
} reported SEC(".maps");

/* runtime.newproc entry -> the RET of the runtime.newproc1 it calls. Both run on the same thread
 * without a chance to be rescheduled (newproc1 runs on the system stack), so the thread id pairs
 * them. Present only while a locked goroutine in a foreign namespace creates a goroutine. */
struct newproc_pending {
  __u64 goid;
  __u64 sp_word;
  __u32 locked_ext;
  __u32 locked_int;
  struct gotap_ns_set ns;
  __u64 stack[GOTAP_NS_STACK_DEPTH];
  __u32 nframes;
  __u32 pad;
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32); /* tid */
  __type(value, struct newproc_pending);
} newproc_pending SEC(".maps");

/* sys_enter -> sys_exit of setns/unshare, by thread. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32); /* tid */
  __type(value, struct gotap_ns_event);
} syscall_pending SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} ring SEC(".maps");

/* Per-CPU room for one event (too big for the BPF stack). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct gotap_ns_event);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

/* The goroutine running on the current thread: fills goid, lockedm and m's lock counts. Returns
 * the g pointer, 0 if it cannot be read. */
static __always_inline __u64 read_goroutine(struct task_struct* task, struct gotap_ns_event* e) {
  __u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
  __u64 g = 0, m = 0, lockedm = 0;
  e->goid = 0;
  e->lockedm = 0;
  e->locked_ext = 0;
  e->locked_int = 0;
  if (fsbase == 0 || bpf_probe_read_user(&g, sizeof(g), (void*)(fsbase + cfg.tls_g)) || g == 0)
    return 0;
  bpf_probe_read_user(&e->goid, sizeof(e->goid), (void*)(g + cfg.g_goid));
  bpf_probe_read_user(&lockedm, sizeof(lockedm), (void*)(g + cfg.g_lockedm));
  e->lockedm = lockedm != 0;
  if (bpf_probe_read_user(&m, sizeof(m), (void*)(g + cfg.g_m)) == 0 && m != 0) {
    bpf_probe_read_user(&e->locked_ext, sizeof(e->locked_ext), (void*)(m + cfg.m_lockedext));
    bpf_probe_read_user(&e->locked_int, sizeof(e->locked_int), (void*)(m + cfg.m_lockedint));
  }
  return g;
}

/* The original namespaces of tgid; the group leader's on first sight (see the file comment). */
static __always_inline struct gotap_ns_set* original_ns(struct task_struct* task, __u32 tgid,
                                                        int learn) {
  struct gotap_ns_set* orig = bpf_map_lookup_elem(&orig_ns, &tgid);
  if (orig || !learn) return orig;
  struct gotap_ns_event* e = 0;
  __u32 zero = 0;
  e = bpf_map_lookup_elem(&scratch, &zero);
  if (!e) return 0;
  gotap_read_task_ns(BPF_CORE_READ(task, group_leader), &e->orig);
  if (e->orig.inum[GOTAP_NS_NET] == 0) return 0;
  bpf_map_update_elem(&orig_ns, &tgid, &e->orig, BPF_NOEXIST);
  return bpf_map_lookup_elem(&orig_ns, &tgid);
}

static __always_inline void submit(const struct gotap_ns_event* e) {
  if (bpf_ringbuf_output(&ring, (void*)e, sizeof(*e), 0)) {
    __u32 zero = 0;
    __u64* n = bpf_map_lookup_elem(&lost, &zero);
    if (n) *n += 1;
  }
}

static __always_inline void user_stack(void* ctx, struct gotap_ns_event* e) {
  long n = bpf_get_stack(ctx, e->stack, sizeof(e->stack), BPF_F_USER_STACK);
  e->nframes = n > 0 ? (__u64)n / 8 : 0;
}

SEC("uprobe")
int ns_site(struct pt_regs* ctx) {
  __u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
  const struct gotap_ns_site* site = bpf_map_lookup_elem(&sites, &cookie);
  if (!site || site->role == 0) return 0;
  struct task_struct* task = bpf_get_current_task_btf();
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
  struct gotap_ns_set* orig = original_ns(task, tgid, 1);
  if (!orig) return 0;
  __u32 zero = 0;
  struct gotap_ns_event* e = bpf_map_lookup_elem(&scratch, &zero);
  if (!e) return 0;
  __u32 role = site->role;

  if (role == GOTAP_NS_ROLE_NEWPROC1_RET) {
    struct newproc_pending* p = bpf_map_lookup_elem(&newproc_pending, &tid);
    if (!p) return 0;
    __u64 child = 0;
    __s16 reg = site->result_reg;
    if (reg >= 0 && reg + 8 <= (int)sizeof(struct pt_regs)) {
      __u64 newg = 0;
      bpf_probe_read_kernel(&newg, sizeof(newg), (void*)ctx + reg);
      if (newg) bpf_probe_read_user(&child, sizeof(child), (void*)(newg + cfg.g_goid));
    }
    e->kind = GOTAP_NS_EV_NO_INHERIT;
    e->ts_ns = bpf_ktime_get_ns();
    e->tgid = tgid;
    e->tid = tid;
    e->goid = p->goid;
    e->child_goid = child;
    e->lockedm = 1;
    e->locked_ext = p->locked_ext;
    e->locked_int = p->locked_int;
    e->func_id = site->func_id;
    e->flags = GOTAP_NS_SITE_SP_IS_RET;
    e->sp_word = p->sp_word;
    e->ns = p->ns;
    e->orig = *orig;
    e->ret = 0;
    e->args[0] = e->args[1] = 0;
    __builtin_memset(&e->before, 0, sizeof(e->before));
    __builtin_memcpy(e->stack, p->stack, sizeof(e->stack));
    e->nframes = p->nframes;
    bpf_map_delete_elem(&newproc_pending, &tid);
    submit(e);
    return 0;
  }

  gotap_read_task_ns(task, &e->ns);
  int foreign = gotap_ns_differs(&e->ns, orig);
  if (role == GOTAP_NS_ROLE_NEWPROC && !foreign) {
    bpf_map_delete_elem(&newproc_pending, &tid);
    return 0;
  }
  if (!foreign) return 0;
  if (!read_goroutine(task, e)) return 0;

  int emit = 0;
  if (role == GOTAP_NS_ROLE_PROBE) {
    if (e->lockedm) return 0;
    struct reported_key k = {.tgid = tgid, .tid = tid, .goid = e->goid};
    __u8 one = 1;
    emit = bpf_map_update_elem(&reported, &k, &one, BPF_NOEXIST) == 0;
    e->kind = GOTAP_NS_EV_POISONED_USE;
  } else if (role == GOTAP_NS_ROLE_UNLOCK_EXT) {
    emit = e->locked_ext == 1 && e->locked_int == 0;
    e->kind = GOTAP_NS_EV_UNLOCK_FOREIGN;
  } else if (role == GOTAP_NS_ROLE_UNLOCK_INT) {
    emit = e->locked_int == 1 && e->locked_ext == 0;
    e->kind = GOTAP_NS_EV_UNLOCK_FOREIGN;
  } else if (role == GOTAP_NS_ROLE_NEWPROC) {
    if (!e->lockedm) {
      bpf_map_delete_elem(&newproc_pending, &tid);
      return 0;
    }
  }
  e->sp_word = 0;
  bpf_probe_read_user(&e->sp_word, sizeof(e->sp_word), (void*)PT_REGS_SP(ctx));
  user_stack(ctx, e);
  if (role == GOTAP_NS_ROLE_NEWPROC) {
    struct newproc_pending* p = bpf_map_lookup_elem(&newproc_pending, &tid);
    if (!p) {
      struct newproc_pending fresh = {};
      bpf_map_update_elem(&newproc_pending, &tid, &fresh, BPF_ANY);
      p = bpf_map_lookup_elem(&newproc_pending, &tid);
      if (!p) return 0;
    }
    p->goid = e->goid;
    p->sp_word = e->sp_word;
    p->locked_ext = e->locked_ext;
    p->locked_int = e->locked_int;
    p->ns = e->ns;
    __builtin_memcpy(p->stack, e->stack, sizeof(p->stack));
    p->nframes = e->nframes;
    return 0;
  }
  if (!emit) return 0;
  e->ts_ns = bpf_ktime_get_ns();
  e->tgid = tgid;
  e->tid = tid;
  e->child_goid = 0;
  e->func_id = site->func_id;
  e->flags = site->flags;
  e->orig = *orig;
  e->ret = 0;
  e->args[0] = e->args[1] = 0;
  __builtin_memset(&e->before, 0, sizeof(e->before));
  submit(e);
  return 0;
}

/* setns and unshare through the raw syscall tracepoints sys_enter/sys_exit (attached with
 * BPF_RAW_TRACEPOINT_OPEN: unlike syscalls/sys_enter_setns they need no tracefs mounted, and the
 * kernels this runs on may lack fentry trampolines and the kprobe PMU). They fire for every
 * syscall, so the syscall number is checked first. */
enum { kSysSetns = 308, kSysUnshare = 272 }; /* x86-64 */

SEC("raw_tracepoint/sys_enter")
int ns_sys_enter(struct bpf_raw_tracepoint_args* ctx) {
  long nr = (long)ctx->args[1];
  if (nr != kSysSetns && nr != kSysUnshare) return 0;
  struct pt_regs* regs = (struct pt_regs*)ctx->args[0];
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
  struct task_struct* task = bpf_get_current_task_btf();
  struct gotap_ns_set* orig = original_ns(task, tgid, 0);
  if (!orig) return 0;
  __u32 zero = 0;
  struct gotap_ns_event* e = bpf_map_lookup_elem(&scratch, &zero);
  if (!e) return 0;
  read_goroutine(task, e);
  e->kind = GOTAP_NS_EV_SYSCALL;
  e->ts_ns = bpf_ktime_get_ns();
  e->tgid = tgid;
  e->tid = tid;
  e->child_goid = 0;
  e->func_id = (__u32)nr;
  e->args[0] = BPF_CORE_READ(regs, di);
  e->args[1] = BPF_CORE_READ(regs, si);
  e->flags = 0;
  e->orig = *orig;
  gotap_read_task_ns(task, &e->before);
  e->sp_word = 0;
  __u64 sp = BPF_CORE_READ(regs, sp);
  bpf_probe_read_user(&e->sp_word, sizeof(e->sp_word), (void*)sp);
  user_stack(ctx, e);
  bpf_map_update_elem(&syscall_pending, &tid, e, BPF_ANY);
  return 0;
}

SEC("raw_tracepoint/sys_exit")
int ns_sys_exit(struct bpf_raw_tracepoint_args* ctx) {
  struct pt_regs* regs = (struct pt_regs*)ctx->args[0];
  long nr = BPF_CORE_READ(regs, orig_ax);
  if (nr != kSysSetns && nr != kSysUnshare) return 0;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct gotap_ns_event* e = bpf_map_lookup_elem(&syscall_pending, &tid);
  if (!e) return 0;
  e->ret = (long)ctx->args[1];
  gotap_read_task_ns(bpf_get_current_task_btf(), &e->ns);
  submit(e);
  bpf_map_delete_elem(&syscall_pending, &tid);
  return 0;
}
