/* The namespaces of a thread as the BPF programs read them (struct gotap_ns_set): shared by
 * gotap.bpf.c (`--ns` on every event) and gotap ns (nswatch/ns.bpf.c). Plain C, fixed-width
 * kernel types; include after vmlinux.h in BPF code, after <linux/types.h> in C++. */
#ifndef GOTAP_BPF_GOTAP_NS_H_
#define GOTAP_BPF_GOTAP_NS_H_

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Index of each namespace in struct gotap_ns_set (also the order gotap prints them in). */
enum gotap_ns_type {
  GOTAP_NS_NET = 0,
  GOTAP_NS_MNT = 1,
  GOTAP_NS_PID = 2, /* pid_ns_for_children: what setns/unshare(CLONE_NEWPID) change */
  GOTAP_NS_UTS = 3,
  GOTAP_NS_IPC = 4,
  GOTAP_NS_USER = 5,
  GOTAP_NS_CGROUP = 6,
  GOTAP_NS_NUM = 7
};

/* The namespace inode numbers of one thread (what readlink /proc/TID/ns/net shows in
 * "net:[4026531992]"). All zero iff the thread had no nsproxy (it was exiting). */
struct gotap_ns_set {
  __u32 inum[8]; /* indexed by enum gotap_ns_type; inum[7] is padding (0) */
};

#ifdef __cplusplus
static_assert(sizeof(struct gotap_ns_set) == 32, "gotap_ns_set layout");
#else
_Static_assert(sizeof(struct gotap_ns_set) == 32, "gotap_ns_set layout");
#endif

#endif /* GOTAP_BPF_GOTAP_NS_H_ */
