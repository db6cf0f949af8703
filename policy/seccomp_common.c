/* Rule sets shared by the roles' seccomp lists (every snare process loads one
 * after start-up, see sandbox.c).  The base set is what an epoll loop on
 * already-open fds needs; the probe set answers harmless library probes with an
 * errno; the sanitizer set is only compiled into ASan/UBSan builds. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "seccomp_rules.h"

/* Everything that works on fds the process already holds, memory, clocks,
 * signals and exit.  No argument conflicts with any role's own rules. */
/* clang-format off */
static const struct sandbox_rule base_rules[] = {
	/* fd I/O and the event loop */
	SB_ALLOW(read),
	SB_ALLOW(write),
	SB_ALLOW(readv),
	SB_ALLOW(writev),
	SB_ALLOW(close),
	SB_ALLOW(recvmsg),
	SB_ALLOW(sendmsg),
	SB_ALLOW(epoll_wait),
	SB_ALLOW(epoll_pwait),
	SB_ALLOW(epoll_pwait2),
	SB_ALLOW(epoll_ctl),
	SB_ALLOW(poll),
	SB_ALLOW(ppoll),
	SB_ALLOW(fstat),
	SB_ARG_EQ(fcntl, 1, F_GETFL),
	SB_ARG_EQ(fcntl, 1, F_SETFL),
	SB_ARG_EQ(fcntl, 1, F_GETFD),
	SB_ARG_EQ(fcntl, 1, F_SETFD),
	SB_ARG_EQ(fcntl, 1, F_DUPFD_CLOEXEC),
	/* memory (mmap/mprotect: see sandbox_set_noexec) */
	SB_ALLOW(brk),
	SB_ALLOW(munmap),
	SB_ALLOW(mremap),
	SB_ALLOW(madvise),
	/* clocks and sleeping */
	SB_ALLOW(clock_gettime),
	SB_ALLOW(clock_getres),
	SB_ALLOW(gettimeofday),
	SB_ALLOW(time),
	SB_ALLOW(nanosleep),
	SB_ALLOW(clock_nanosleep),
	/* randomness, locks, identity */
	SB_ALLOW(getrandom),
	SB_ALLOW(futex),
	SB_ALLOW(sched_yield),
	SB_ALLOW(getpid),
	SB_ALLOW(gettid),
	SB_ALLOW(getuid),
	SB_ALLOW(geteuid),
	SB_ALLOW(getgid),
	SB_ALLOW(getegid),
	SB_ALLOW(uname),
	SB_ALLOW(sysinfo), /* glibc's sysconf(_SC_PHYS_PAGES), e.g. inside qsort */
	/* read-only process state, so a process can check its own sandbox */
	SB_ARG_EQ(prctl, 0, PR_GET_DUMPABLE),
	SB_ARG_EQ(prctl, 0, PR_GET_NO_NEW_PRIVS),
	SB_ARG_EQ(prctl, 0, PR_GET_SECCOMP),
	/* signals and exit */
	SB_ALLOW(rt_sigreturn),
	SB_ALLOW(rt_sigprocmask),
	SB_ALLOW(rt_sigaction),
	SB_ALLOW(sigaltstack),
	SB_ALLOW(restart_syscall),
	SB_ALLOW(exit),
	SB_ALLOW(exit_group),
};
/* clang-format on */
SB_SET(sandbox_set_base, base_rules);

/* Memory that can never become executable (worker and ca). */
/* clang-format off */
static const struct sandbox_rule noexec_rules[] = {
	SB_ARG_MASK(mmap, 2, PROT_EXEC, 0),
	SB_ARG_MASK(mprotect, 2, PROT_EXEC, 0),
};
/* clang-format on */
SB_SET(sandbox_set_noexec, noexec_rules);

/* abort() and raise() signal the process itself; nothing else may be signalled. */
/* clang-format off */
static const struct sandbox_rule self_signal_rules[] = {
	SB_SELF(tgkill),
	SB_SELF(kill),
};
/* clang-format on */
SB_SET(sandbox_set_self_signals, self_signal_rules);

/* Libraries probe files and CPUs; answer instead of killing (worker and ca).
 * fstat is newfstatat(fd, "", AT_EMPTY_PATH) in glibc; a path gets EACCES. */
/* clang-format off */
static const struct sandbox_rule probe_rules[] = {
	SB_ERRNO(open, EACCES),
	SB_ERRNO(openat, EACCES),
	SB_ERRNO(openat2, EACCES),
	SB_ERRNO(creat, EACCES),
	SB_ERRNO(stat, EACCES),
	SB_ERRNO(lstat, EACCES),
	SB_ERRNO(access, EACCES),
	SB_ERRNO(faccessat, EACCES),
	SB_ERRNO(faccessat2, EACCES),
	SB_ERRNO(readlink, EACCES),
	SB_ERRNO(readlinkat, EACCES),
	SB_ARG_MASK(newfstatat, 3, AT_EMPTY_PATH, AT_EMPTY_PATH),
	SB_ERRNO_MASK(newfstatat, EACCES, 3, AT_EMPTY_PATH, 0),
	SB_ARG_MASK(statx, 2, AT_EMPTY_PATH, AT_EMPTY_PATH),
	SB_ERRNO_MASK(statx, EACCES, 2, AT_EMPTY_PATH, 0),
	SB_ERRNO(sched_getaffinity, ENOSYS),
	SB_ERRNO(prlimit64, EPERM),
	SB_ERRNO_EQ(ioctl, ENOTTY, 1, TCGETS), /* isatty() */
};
/* clang-format on */
SB_SET(sandbox_set_probes, probe_rules);

/* ---- sanitizer builds only ------------------------------------------------
 * What the ASan/UBSan runtime needs while running and at exit, beyond the
 * role's own list.  A syscall the role already names keeps the role's rule.
 * /proc/self/maps and the binary name are cached before the filter is loaded
 * (__sanitizer_sandbox_on_notify), LeakSanitizer is switched off in sandboxed
 * processes (it would ptrace), and the symbolizer's pipes are refused so a
 * report prints unsymbolized frames instead of dying. */
/* clang-format off */
static const struct sandbox_rule sanitizer_rules[] = {
	SB_ALLOW(mmap),
	SB_ALLOW(mprotect),
	SB_ALLOW(munmap),
	SB_ALLOW(madvise),
	SB_ALLOW(sigaltstack),
	SB_ALLOW(sched_yield),
	SB_ALLOW(getpid),
	SB_ALLOW(gettid),
	SB_ALLOW(write),
	SB_ALLOW(prlimit64),
	SB_ALLOW(sched_getaffinity),
	SB_ALLOW(readlink),
	SB_ALLOW(readlinkat),
	SB_ERRNO(pipe, EPERM),
	SB_ERRNO(pipe2, EPERM),
};
/* clang-format on */
SB_SET(sandbox_set_sanitizer, sanitizer_rules);
