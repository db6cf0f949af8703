/* The coordinator's seccomp list.  The coordinator reads flows and logs from
 * workers, which parse hostile traffic, so it must assume a worker can attack
 * it: it keeps only what supervision and output need.  Starting, executing
 * and reaping the ca and workers, and re-reading files on reload, belong to
 * the spawner (seccomp_spawner.c); here fork, execve, new sockets, path
 * lookups (EACCES, as in the worker) and executable memory are gone. */
#include <sys/socket.h>

#include "seccomp_rules.h"

/* Supervision: channels to new workers, the flow file it already holds, a
 * signal to its own children (no process groups, not pid -1), and reaping the
 * privileged helpers and the spawner at exit (it can create no new children). */
/* clang-format off */
static const struct sandbox_rule supervise_rules[] = {
	SB_ARG_EQ(socketpair, 0, AF_UNIX),
	SB_ARG_EQ(getsockopt, 1, SOL_SOCKET),
	SB_ARG_EQ(setsockopt, 1, SOL_SOCKET),
	SB_ALLOW(getsockname),
	SB_ALLOW(getpeername),
	SB_ALLOW(shutdown),
	SB_ALLOW(sendto),
	SB_ALLOW(recvfrom),
	SB_ARG_MASK(kill, 0, 0x80000000u, 0),
	SB_ARG_MASK(wait4, 0, 0x80000000u, 0),
	SB_ALLOW(lseek),
	SB_ALLOW(fsync),
	SB_ALLOW(fdatasync),
	SB_ALLOW(ftruncate),
};
/* clang-format on */
static SB_SET(coord_supervise, supervise_rules);

const struct sandbox_policy sandbox_policy_coordinator = {
    .role = "coordinator",
    .sets = {&sandbox_set_base, &sandbox_set_noexec, &sandbox_set_self_signals, &sandbox_set_probes,
	     &coord_supervise, NULL},
};
