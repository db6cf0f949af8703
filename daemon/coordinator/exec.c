/* Re-executing snare in a role: fork, place the fds at their fixed numbers,
 * exec.  Runs in the coordinator (once, for the spawner, before its sandbox)
 * and in the spawner (the ca and every worker).  Trusts its caller's fds. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "coordinator/coord.h"

#define CHILD_FD_BASE 3

/* In the child: fds[i] becomes fd 3 + i (a -1 leaves that slot closed),
 * everything else is closed, then exe runs with argv. */
static void exec_role(const char *exe, char *const argv[], const int *fds, int n)
{
	sigset_t none;
	int hi[COORD_EXEC_MAX_FDS], i;

	for (i = 0; i < n; i++)
		hi[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, 64) : -1;
	for (i = 0; i < n; i++) {
		if (hi[i] >= 0 && dup2(hi[i], CHILD_FD_BASE + i) < 0)
			_exit(127);
		if (hi[i] < 0)
			close(CHILD_FD_BASE + i);
	}
	close_range(CHILD_FD_BASE + (unsigned)n, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_IGN); /* the coordinator decides when we stop, */
	signal(SIGHUP, SIG_IGN); /* also when a terminal hangs up */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	execv(exe, argv);
	_exit(127);
}

pid_t coord_exec_child(const char *exe, char *const argv[], const int *fds, int n)
{
	pid_t pid;

	if (n < 0 || n > COORD_EXEC_MAX_FDS)
		return -1;
	pid = fork();
	if (pid == 0)
		exec_role(exe, argv, fds, n);
	return pid;
}
