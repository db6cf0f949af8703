/* The spawner's seccomp list.  The spawner forks and executes the workers on
 * the coordinator's request, reaps them and re-reads the configuration on
 * reload.  A seccomp filter is inherited across fork and execve and stacked
 * filters all apply, so every worker runs under this list and its own for
 * life: this list is spawning and reaping, a worker's start-up (ld.so, libc,
 * OpenSSL and c-ares set-up, resolv.conf), read-only files, and the worker's
 * network set (the worker's own list narrows it further).  No writable opens,
 * no Unix sockets, no namespaces, no ptrace. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "seccomp_rules.h"

#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP)
/* Any of these in open/openat flags would write or create (O_TMPFILE without
 * its O_DIRECTORY part, which opendir() uses). */
#define OPEN_WRITE_FLAGS                                                                           \
	((unsigned)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND) |                            \
	 ((unsigned)O_TMPFILE & ~(unsigned)O_DIRECTORY))

/* Children: fork without new namespaces, exec, reap, signal (not groups). */
/* clang-format off */
static const struct sandbox_rule spawn_rules[] = {
	SB_ARG_MASK(clone, 0, CLONE_NS_FLAGS, 0),
	SB_ERRNO(clone3, ENOSYS), /* flags live in memory: make glibc use clone */
	SB_ALLOW(fork),
	SB_ALLOW(vfork),
	SB_ALLOW(execve),
	SB_ALLOW(wait4),
	SB_ALLOW(waitid),
	SB_ARG_MASK(kill, 0, 0x80000000u, 0),
	SB_SELF(tgkill),
	SB_ALLOW(getppid),
	SB_ALLOW(dup),
	SB_ALLOW(dup2),
	SB_ALLOW(dup3),
	SB_ALLOW(close_range),
	SB_ARG_EQ(fcntl, 1, F_DUPFD),
	SB_ALLOW(epoll_create1),
	SB_ARG_EQ(ioctl, 1, TCGETS),
	SB_ARG_EQ(ioctl, 1, TIOCGWINSZ),
};
/* clang-format on */
static SB_SET(spawner_spawn, spawn_rules);

/* What a freshly executed worker does before its own sandbox_enter(): the
 * dynamic loader (executable mappings), libc and library initialisation, and
 * the privilege drop itself (prctl, capset, seccomp). */
/* clang-format off */
static const struct sandbox_rule startup_rules[] = {
	SB_ALLOW(mmap),
	SB_ALLOW(mprotect),
	SB_ALLOW(arch_prctl),
	SB_ALLOW(set_tid_address),
	SB_ALLOW(set_robust_list),
	SB_ALLOW(rseq),
	SB_ALLOW(prlimit64),
	SB_ALLOW(sched_getaffinity),
	SB_ALLOW(pread64),
	SB_ARG_EQ(prctl, 0, PR_SET_NO_NEW_PRIVS),
	SB_ARG_EQ(prctl, 0, PR_SET_DUMPABLE),
	SB_ARG_EQ(prctl, 0, PR_SET_PDEATHSIG),
	SB_ARG_EQ(prctl, 0, PR_SET_NAME),
	SB_ARG_EQ(prctl, 0, PR_SET_SECCOMP),
	SB_ARG_EQ(prctl, 0, PR_CAPBSET_READ),
	SB_ARG_EQ(prctl, 0, PR_CAPBSET_DROP),
	SB_ARG_EQ(prctl, 0, PR_CAP_AMBIENT),
	SB_ARG_EQ(prctl, 0, PR_GET_SECUREBITS),
	SB_ALLOW(seccomp),
	SB_ALLOW(capget),
	SB_ALLOW(capset),
	SB_ALLOW(getresuid),
	SB_ALLOW(getresgid),
	SB_ALLOW(getgroups),
	SB_ALLOW(setsockopt), /* the worker's own list allows a few options */
};
/* clang-format on */
static SB_SET(spawner_startup, startup_rules);

/* Files, read-only: libraries, configuration (snare's, OpenSSL's, resolv.conf)
 * and, on reload, the files named by options. */
/* clang-format off */
static const struct sandbox_rule read_rules[] = {
	SB_ARG_MASK(open, 1, OPEN_WRITE_FLAGS, 0),
	SB_ARG_MASK(openat, 2, OPEN_WRITE_FLAGS, 0),
	SB_ERRNO(openat2, ENOSYS), /* flags live in memory */
	SB_ALLOW(stat),
	SB_ALLOW(lstat),
	SB_ALLOW(newfstatat),
	SB_ALLOW(statx),
	SB_ALLOW(access),
	SB_ALLOW(faccessat),
	SB_ALLOW(faccessat2),
	SB_ALLOW(readlink),
	SB_ALLOW(readlinkat),
	SB_ALLOW(lseek),
	SB_ALLOW(getdents64),
	SB_ALLOW(getcwd),
};
/* clang-format on */
static SB_SET(spawner_read, read_rules);

const struct sandbox_policy sandbox_policy_spawner = {
    .role = "spawner",
    .sets = {&sandbox_set_base, &sandbox_set_net, &spawner_spawn, &spawner_startup, &spawner_read,
	     NULL},
};
