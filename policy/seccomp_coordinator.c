/* The coordinator's seccomp list, the broadest of the three.  The coordinator
 * does not parse client traffic, but it re-executes the ca and workers, and a
 * seccomp filter is inherited across fork and execve: every child starts under
 * this list (ld.so, OpenSSL and c-ares set-up, the ca writing its key files)
 * until it stacks its own, stricter one.  So this list is the union of the
 * children's needs, process supervision and file output.  It still kills
 * ptrace, namespaces, mount, bpf, keyctl, io_uring, perf, module loading,
 * non-IP/non-Unix sockets and everything else not named below. */
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

/* Children: fork without new namespaces, exec, reap, signal (not pid -1). */
/* clang-format off */
static const struct sandbox_rule proc_rules[] = {
	SB_ARG_MASK(clone, 0, CLONE_NS_FLAGS, 0),
	SB_ERRNO(clone3, ENOSYS), /* flags live in memory: make glibc use clone */
	SB_ALLOW(fork),
	SB_ALLOW(vfork),
	SB_ALLOW(execve),
	SB_ALLOW(wait4),
	SB_ALLOW(waitid),
	SB_ARG_MASK(kill, 0, 0x80000000u, 0),
	SB_ALLOW(tgkill),
	SB_ALLOW(getppid),
	SB_ALLOW(setsid),
	SB_ALLOW(setpgid),
	SB_ALLOW(dup),
	SB_ALLOW(dup2),
	SB_ALLOW(dup3),
	SB_ALLOW(close_range),
	SB_ALLOW(pipe2),
	SB_ARG_EQ(socketpair, 0, AF_UNIX),
	SB_ALLOW(listen),
	SB_ALLOW(epoll_create1),
	SB_ARG_EQ(ioctl, 1, TIOCGWINSZ),
	SB_ARG_EQ(ioctl, 1, TCGETS),
	SB_ARG_EQ(ioctl, 1, FIOCLEX),
	SB_ARG_EQ(ioctl, 1, FIONCLEX),
	SB_ARG_EQ(fcntl, 1, F_DUPFD),
};
/* clang-format on */
static SB_SET(coord_proc, proc_rules);

/* What a freshly executed child does before its own sandbox_enter(): the
 * dynamic loader, libc and library initialisation, and the privilege drop
 * itself (prctl, capset, seccomp). */
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
	SB_ALLOW(setgroups),
	SB_ALLOW(setresuid),
	SB_ALLOW(setresgid),
	SB_ALLOW(setuid),
	SB_ALLOW(setgid),
};
/* clang-format on */
static SB_SET(coord_startup, startup_rules);

/* Files: configuration and CA files read by children, the flow file, the
 * CA files the ca creates on first start.  Opened files stay the user's own:
 * the coordinator runs as the invoking user. */
/* clang-format off */
static const struct sandbox_rule file_rules[] = {
	SB_ALLOW(open),	  SB_ALLOW(openat),    SB_ALLOW(stat),	     SB_ALLOW(lstat),
	SB_ALLOW(newfstatat), SB_ALLOW(statx),     SB_ALLOW(access),     SB_ALLOW(faccessat),
	SB_ALLOW(faccessat2), SB_ALLOW(readlink),  SB_ALLOW(readlinkat), SB_ALLOW(lseek),
	SB_ALLOW(getdents64), SB_ALLOW(getcwd),    SB_ALLOW(umask),	     SB_ALLOW(mkdir),
	SB_ALLOW(mkdirat),	  SB_ALLOW(unlink),    SB_ALLOW(unlinkat),   SB_ALLOW(rename),
	SB_ALLOW(renameat),	  SB_ALLOW(renameat2), SB_ALLOW(fchmod),     SB_ALLOW(chmod),
	SB_ALLOW(fsync),	  SB_ALLOW(fdatasync), SB_ALLOW(ftruncate),  SB_ALLOW(flock),
};
/* clang-format on */
static SB_SET(coord_files, file_rules);

const struct sandbox_policy sandbox_policy_coordinator = {
    .role = "coordinator",
    .sets = {&sandbox_set_base, &sandbox_set_net, &coord_proc, &coord_startup, &coord_files, NULL},
};
