/* The layout shared by the eBPF programs in redirect.bpf.c (kernel), the
 * snare-redirector helper that fills their maps (root) and the spec compiler
 * in daemon/intercept (anywhere).  Plain fixed-size structs: nothing here is
 * trusted by the kernel side beyond its bounds, which the loops enforce. */
#ifndef SNARE_BPF_REDIRECT_ABI_H
#define SNARE_BPF_REDIRECT_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define REDIR_MAX_ENTRIES 64 /* entries of one intercept spec */
#define REDIR_COMM_LEN 16    /* TASK_COMM_LEN: 15 bytes and a NUL */
#define REDIR_MAX_SELF 16    /* snare's own processes, never captured */
#define REDIR_MAX_PROCS 8192 /* connection -> process records (LRU) */

enum redir_action {
	REDIR_INCLUDE = 1, /* intercept |= matches */
	REDIR_EXCLUDE = 2, /* intercept &= !matches */
};

enum redir_kind {
	REDIR_PID = 1,	/* the process id (tgid) */
	REDIR_NAME = 2, /* the thread-group leader's comm, first 15 bytes */
};

/* One entry; comm is NUL-padded to 16 bytes so it compares as two words. */
struct redir_entry {
	__u8 action; /* enum redir_action */
	__u8 kind;   /* enum redir_kind */
	__u8 pad[2];
	__u32 pid;
	__u64 comm[REDIR_COMM_LEN / 8];
};

/* One generation of the spec: the value of the two-slot array map. */
struct redir_spec {
	__u32 n;    /* entries in use, <= REDIR_MAX_ENTRIES */
	__u32 dflt; /* 1 when the first entry excludes */
	struct redir_entry e[REDIR_MAX_ENTRIES];
};

/* Who opened a connection, keyed by its local port and protocol. */
struct redir_conn_key {
	__u16 port;  /* local port, host order */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* 4 or 6 */
};

struct redir_proc {
	__u32 pid;
	__u32 pad;
	char comm[REDIR_COMM_LEN]; /* the leader's comm */
};

#endif
