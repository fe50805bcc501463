/* CO-RE helper for BPF programs: the namespace inode numbers of a task, as /proc/TID/ns/ shows
 * them. Include after vmlinux.h and <bpf/bpf_core_read.h>.
 *
 * Which pid namespace: a thread's ACTIVE pid namespace (task_active_pid_ns, /proc/TID/ns/pid) is
 * fixed when the thread is created and never changes; setns(CLONE_NEWPID) and
 * unshare(CLONE_NEWPID) change nsproxy->pid_ns_for_children (/proc/TID/ns/pid_for_children),
 * which is what a thread "switched" to. GOTAP_NS_PID is therefore pid_ns_for_children, read in
 * one hop like the others. The user namespace is not in nsproxy: it is the task's credentials'
 * (task->cred->user_ns, /proc/TID/ns/user). */
#ifndef GOTAP_BPF_NS_READ_BPF_H_
#define GOTAP_BPF_NS_READ_BPF_H_

#include "bpf/gotap_ns.h"

/* Fills *out with task's namespaces; all zero if the task has no nsproxy (it is exiting). */
static __always_inline void gotap_read_task_ns(struct task_struct* task, struct gotap_ns_set* out) {
  __builtin_memset(out, 0, sizeof(*out));
  struct nsproxy* nsp = BPF_CORE_READ(task, nsproxy);
  if (!nsp) return;
  out->inum[GOTAP_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
  out->inum[GOTAP_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
  out->inum[GOTAP_NS_PID] = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
  out->inum[GOTAP_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
  out->inum[GOTAP_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
  out->inum[GOTAP_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
  out->inum[GOTAP_NS_USER] = BPF_CORE_READ(task, cred, user_ns, ns.inum);
}

/* 1 iff both sets are known (nonzero) and some namespace differs. */
static __always_inline int gotap_ns_differs(const struct gotap_ns_set* a,
                                            const struct gotap_ns_set* b) {
  if (a->inum[GOTAP_NS_NET] == 0 || b->inum[GOTAP_NS_NET] == 0) return 0;
  int differs = 0;
#pragma unroll
  for (int i = 0; i < GOTAP_NS_NUM; i++) differs |= a->inum[i] != b->inum[i];
  return differs;
}

#endif /* GOTAP_BPF_NS_READ_BPF_H_ */
