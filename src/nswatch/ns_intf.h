/* The contract between ns.bpf.c (gotap ns) and userspace: namespace sets, probe-site roles, the
 * Go runtime offsets handed to the program, and the events it emits.
 *
 * Plain C with fixed-width kernel types, included by the BPF program (after vmlinux.h) and by C++
 * (after <linux/types.h>). Sizes are pinned below; userspace decodes events with memcpy.
 *
 * Address spaces: offsets in struct gotap_ns_config are byte offsets into Go runtime structs
 * (runtime.g, runtime.m) or from the thread pointer (fs_base); pcs in events are RUNTIME
 * addresses of the target process (link-time vaddr + load bias).
 */
#ifndef GOTAP_NSWATCH_NS_INTF_H_
#define GOTAP_NSWATCH_NS_INTF_H_

#ifndef __bpf__
#include <linux/types.h>
#endif

#include "bpf/gotap_ns.h" /* struct gotap_ns_set, enum gotap_ns_type */

#ifdef __cplusplus
#define GOTAP_NS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define GOTAP_NS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* What a uprobe site does, chosen by the site found under the attach cookie. */
enum gotap_ns_role {
  GOTAP_NS_ROLE_PROBE = 1,       /* any traced function: a poisoned-thread use check */
  GOTAP_NS_ROLE_UNLOCK_EXT = 2,  /* runtime.UnlockOSThread before it decrements m.lockedExt */
  GOTAP_NS_ROLE_UNLOCK_INT = 3,  /* runtime.unlockOSThread before it decrements m.lockedInt */
  GOTAP_NS_ROLE_NEWPROC = 4,     /* runtime.newproc entry: g is the creating goroutine */
  GOTAP_NS_ROLE_NEWPROC1_RET = 5 /* a RET of runtime.newproc1: the new *g is in a register */
};

enum gotap_ns_site_flags {
  /* At this site the word at the stack pointer is the return address (a function's entry
   * probe or a RET); not at inlined copies. */
  GOTAP_NS_SITE_SP_IS_RET = 1
};

/* One uprobe site; the array map `sites` is indexed by the attach cookie. */
struct gotap_ns_site {
  __u32 role;       /* enum gotap_ns_role; 0: unused slot */
  __u32 func_id;    /* userspace's index of the function the site belongs to */
  __u16 flags;      /* enum gotap_ns_site_flags */
  __s16 result_reg; /* NEWPROC1_RET: byte offset in struct pt_regs of the *g result; -1: unknown */
  __u32 pad;
};
GOTAP_NS_STATIC_ASSERT(sizeof(struct gotap_ns_site) == 16, "gotap_ns_site layout");

/* Go runtime facts from the binary's gobin::RuntimeModel (see runtime_offsets.h). */
struct gotap_ns_config {
  __s64 tls_g;       /* g pointer at fs_base + tls_g (amd64: -8) */
  __u32 g_goid;      /* runtime.g.goid */
  __u32 g_m;         /* runtime.g.m (*m) */
  __u32 g_lockedm;   /* runtime.g.lockedm (muintptr; nonzero iff wired to its thread) */
  __u32 m_lockedext; /* runtime.m.lockedExt (LockOSThread nesting count) */
  __u32 m_lockedint; /* runtime.m.lockedInt (the runtime's own lockOSThread count) */
  __u32 pad;
};
GOTAP_NS_STATIC_ASSERT(sizeof(struct gotap_ns_config) == 32, "gotap_ns_config layout");

enum gotap_ns_event_kind {
  GOTAP_NS_EV_UNLOCK_FOREIGN = 1, /* thread unlocked (count to zero) outside the original ns */
  GOTAP_NS_EV_POISONED_USE = 2,   /* an unlocked goroutine runs on a thread in a foreign ns */
  GOTAP_NS_EV_NO_INHERIT = 3,     /* a locked goroutine in a foreign ns started a goroutine */
  GOTAP_NS_EV_SYSCALL = 4         /* setns or unshare returned */
};

enum { GOTAP_NS_STACK_DEPTH = 32 };

struct gotap_ns_event {
  __u64 ts_ns;      /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
  __u64 goid;       /* 0 if the goroutine could not be read */
  __u64 child_goid; /* NO_INHERIT: the new goroutine (0: unknown) */
  __s64 ret;        /* SYSCALL: the return value */
  __u64 args[2];    /* SYSCALL: setns (fd, nstype) or unshare (flags, 0) */
  __u64 sp_word;    /* the word at the user stack pointer (a return address at SP_IS_RET sites) */
  __u32 kind;       /* enum gotap_ns_event_kind */
  __u32 tgid;
  __u32 tid;
  __u32 func_id;              /* the site's function (uprobe events); SYSCALL: the syscall number */
  __u32 locked_ext;           /* m.lockedExt when the event was taken */
  __u32 locked_int;           /* m.lockedInt */
  __u32 lockedm;              /* 1 iff g.lockedm != 0 */
  __u16 flags;                /* the site's gotap_ns_site_flags */
  __u16 nframes;              /* valid entries of stack[] */
  struct gotap_ns_set ns;     /* the thread's namespaces (SYSCALL: after the call) */
  struct gotap_ns_set orig;   /* the process's original namespaces */
  struct gotap_ns_set before; /* SYSCALL: the thread's namespaces before the call */
  __u64 stack[GOTAP_NS_STACK_DEPTH]; /* user pcs by frame pointers, innermost first (runtime) */
};
GOTAP_NS_STATIC_ASSERT(sizeof(struct gotap_ns_event) == 88 + 3 * 32 + 8 * GOTAP_NS_STACK_DEPTH,
                       "gotap_ns_event layout");

#endif /* GOTAP_NSWATCH_NS_INTF_H_ */
