/* Starting a privileged helper, in the coordinator before it sandboxes
 * itself.  Root or file capabilities: fork+exec with a socketpair on fd 3.
 * Otherwise sudo, which closes inherited fds: a 0700 rendezvous directory
 * with a listening socket, a one-time nonce on the helper's stdin (never
 * argv), and a connection accepted only from uid 0, from sudo or one of its
 * descendants, that sends the nonce back first. */
#include "privsep/privsep_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "core/errf.h"
#include "core/unconst.h"

#define RV_TEMPLATE "/tmp/snare-rv.XXXXXX"
#define RV_SOCKET "s"
#define RV_NONCE_TIMEOUT_MS 5000
#define RV_MAX_DEPTH 16 /* sudo -> (pty monitor) -> helper; generous */

static char privsep_dir_override[PATH_MAX];

/* The capabilities each helper needs; a binary carrying all of them as file
 * capabilities is started directly instead of through sudo. */
struct privsep_needs {
	const char *name;
	cap_value_t caps[3];
	int n;
};

static const struct privsep_needs privsep_needs_table[] = {
    {"netfilter", {CAP_NET_ADMIN, CAP_NET_BIND_SERVICE}, 2},
    {"tun", {CAP_NET_ADMIN}, 1},
};

void privsep_set_helper_dir(const char *dir)
{
	snprintf(privsep_dir_override, sizeof(privsep_dir_override), "%s", dir != NULL ? dir : "");
}

static int privsep_try_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/snare-%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

int privsep_helper_path(const char *helper_name, char *buf, size_t len)
{
	char self[PATH_MAX];
	char *slash;
	ssize_t n;

	if (!privsep_valid_helper_name(helper_name))
		return -EINVAL;
	if (privsep_dir_override[0] != '\0')
		return privsep_try_path(privsep_dir_override, helper_name, buf, len);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (privsep_try_path(self, helper_name, buf, len) == 0)
				return 0;
			/* An installed tree with another prefix: <prefix>/bin/../libexec/snare */
			if (strlen(self) + sizeof("/../libexec/snare") < sizeof(self)) {
				strcat(self, "/../libexec/snare");
				if (privsep_try_path(self, helper_name, buf, len) == 0)
					return 0;
			}
		}
	}
	return privsep_try_path(SNARE_LIBEXECDIR, helper_name, buf, len);
}

/* True when exec'ing path gives the helper every capability it needs. */
static bool privsep_has_file_caps(const char *name, const char *path)
{
	const struct privsep_needs *need = NULL;
	cap_flag_value_t perm, eff;
	bool ok = true;
	size_t i;
	cap_t c;
	int k;

	for (i = 0; i < ARRAY_SIZE(privsep_needs_table); i++)
		if (strcmp(privsep_needs_table[i].name, name) == 0)
			need = &privsep_needs_table[i];
	if (need == NULL || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return false;
	c = cap_get_file(path);
	if (c == NULL)
		return false;
	for (k = 0; k < need->n && ok; k++) {
		if (cap_get_flag(c, need->caps[k], CAP_PERMITTED, &perm) < 0 ||
		    cap_get_flag(c, need->caps[k], CAP_EFFECTIVE, &eff) < 0)
			ok = false;
		else
			ok = perm == CAP_SET && eff == CAP_SET && cap_get_bound(need->caps[k]) == 1;
	}
	cap_free(c);
	return ok;
}

/* ---- fork + exec ------------------------------------------------------- */

struct privsep_spawn {
	char *const *argv;
	int chan_fd;  /* put on fd 3, or -1 */
	int stdin_fd; /* put on fd 0, or -1 */
	bool search;  /* execvp (sudo) rather than execv (a path) */
};

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn)) privsep_child(const struct privsep_spawn *s, int errfd)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT};
	sigset_t none;
	size_t i;
	int e, err = 0;

	e = fcntl(errfd, F_DUPFD_CLOEXEC, 4); /* off fd 3, which we may need */
	if (e < 0)
		_exit(127);
	if (s->stdin_fd >= 0 && dup2(s->stdin_fd, 0) < 0)
		err = errno;
	if (err == 0 && s->chan_fd == 3 && fcntl(3, F_SETFD, 0) < 0)
		err = errno;
	if (err == 0 && s->chan_fd >= 0 && s->chan_fd != 3 && dup2(s->chan_fd, 3) < 0)
		err = errno;
	if (err == 0 && close_range(s->chan_fd >= 0 ? 4 : 3, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		err = errno;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &dfl, NULL);
	if (err == 0) {
		if (s->search)
			execvp(s->argv[0], s->argv);
		else
			execv(s->argv[0], s->argv);
		err = errno;
	}
	if (write(e, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

/* 0 and the child's pid once exec succeeded; else a negative code. */
static int privsep_fork_exec(const struct privsep_spawn *s, pid_t *pid)
{
	int ep[2], child_err = 0;
	ssize_t n;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		child_err = errno;
		close(ep[0]);
		close(ep[1]);
		return -child_err;
	}
	if (*pid == 0)
		privsep_child(s, ep[1]);
	close(ep[1]);
	do
		n = read(ep[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == 0)
		return 0;
	waitpid(*pid, NULL, 0);
	*pid = -1;
	return n == (ssize_t)sizeof(child_err) && child_err > 0 ? -child_err : -ECHILD;
}

static int privsep_launch_direct(struct privsep_helper *h, const char *path, char *err,
				 size_t errlen)
{
	char *argv[] = {unconst(path), NULL};
	struct privsep_spawn s = {.argv = argv, .stdin_fd = -1};
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		errf(err, errlen, rc, "cannot start snare-%s: socketpair", h->name);
		return rc;
	}
	s.chan_fd = sv[1];
	rc = privsep_fork_exec(&s, &h->pid);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		errf(err, errlen, rc, "cannot start snare-%s: %s", h->name, path);
		return rc;
	}
	h->fd = sv[0];
	return 0;
}

/* ---- sudo and the rendezvous ------------------------------------------- */

struct privsep_rv {
	char dir[sizeof(RV_TEMPLATE)];
	char sock[sizeof(RV_TEMPLATE) + sizeof(RV_SOCKET) + 1];
	int lfd;
	bool made; /* the directory exists */
	uint8_t nonce[PRIVSEP_NONCE_LEN];
};

static int privsep_rv_open(struct privsep_rv *rv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	rv->lfd = -1;
	rv->made = false;
	memcpy(rv->dir, RV_TEMPLATE, sizeof(RV_TEMPLATE));
	rv->sock[0] = '\0';
	if (getrandom(rv->nonce, sizeof(rv->nonce), 0) != (ssize_t)sizeof(rv->nonce))
		return -EIO;
	if (mkdtemp(rv->dir) == NULL) /* mode 0700 */
		return -errno;
	rv->made = true;
	snprintf(rv->sock, sizeof(rv->sock), "%s/%s", rv->dir, RV_SOCKET);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", rv->sock);
	rv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (rv->lfd < 0)
		return -errno;
	if (bind(rv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(rv->lfd, 4) < 0)
		return -errno;
	return 0;
}

static void privsep_rv_close(struct privsep_rv *rv)
{
	if (rv->lfd >= 0)
		close(rv->lfd);
	rv->lfd = -1;
	if (rv->sock[0] != '\0')
		unlink(rv->sock);
	if (rv->made)
		rmdir(rv->dir);
	explicit_bzero(rv->nonce, sizeof(rv->nonce));
}

/* The parent of pid, from /proc/PID/status; -1 when unknown. */
static pid_t privsep_ppid(pid_t pid)
{
	char path[64], line[128];
	pid_t ppid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

static bool privsep_is_descendant(pid_t pid, pid_t ancestor)
{
	int depth;

	for (depth = 0; depth < RV_MAX_DEPTH && pid > 1; depth++) {
		if (pid == ancestor)
			return true;
		pid = privsep_ppid(pid);
	}
	return false;
}

/* Constant-time comparison of the nonce. */
static bool privsep_nonce_equal(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < PRIVSEP_NONCE_LEN; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Checks an accepted connection: root, spawned by sudo_pid, nonce first. */
static int privsep_rv_check(const struct privsep_rv *rv, int cfd, pid_t sudo_pid)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct pollfd pfd = {.fd = cfd, .events = POLLIN};
	uint8_t buf[PRIVSEP_NONCE_LEN + 1];
	size_t nfds;
	int n;

	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0)
		return -errno;
	if (cr.uid != 0 || !privsep_is_descendant(cr.pid, sudo_pid))
		return -EPERM;
	if (poll(&pfd, 1, RV_NONCE_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	n = ipc_recv_raw(cfd, buf, sizeof(buf), NULL, 0, &nfds);
	if (n < 0)
		return n;
	if (n != PRIVSEP_NONCE_LEN || !privsep_nonce_equal(buf, rv->nonce))
		return -EPERM;
	return 0;
}

/* Waits for the helper's connection while sudo asks for the password. */
static int privsep_rv_wait(struct privsep_rv *rv, pid_t sudo_pid, int *cfd, int *status)
{
	uint64_t deadline = clock_ms() + PRIVSEP_SUDO_TIMEOUT_MS;
	struct pollfd pfd = {.fd = rv->lfd, .events = POLLIN};
	int rc;

	for (;;) {
		if (poll(&pfd, 1, 100) == 1) {
			*cfd = accept4(rv->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (*cfd < 0)
				return -errno;
			rc = privsep_rv_check(rv, *cfd, sudo_pid);
			if (rc < 0) {
				close(*cfd);
				*cfd = -1;
			}
			return rc;
		}
		if (waitpid(sudo_pid, status, WNOHANG) == sudo_pid)
			return -ECHILD;
		if (clock_ms() > deadline)
			return -ETIMEDOUT;
	}
}

/* sudo asks for the password on the controlling terminal.  Without one it
 * can only use an askpass program (SUDO_ASKPASS, -A) or a rule that needs
 * none; -n makes it say at once that a password is required instead of
 * suggesting -S, which cannot work (the helper's stdin carries the nonce). */
static bool privsep_have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static const char *privsep_sudo_flag(bool tty)
{
	const char *askpass = getenv("SUDO_ASKPASS");

	if (tty)
		return NULL;
	return askpass != NULL && *askpass != '\0' ? "-A" : "-n";
}

static int privsep_sudo_spawn(struct privsep_helper *h, const char *path, struct privsep_rv *rv,
			      bool tty)
{
	char prompt[96];
	char *argv[10];
	struct privsep_spawn s = {.argv = argv, .chan_fd = -1, .search = true};
	const char *flag = privsep_sudo_flag(tty);
	int p[2], rc;
	size_t n = 0;

	snprintf(prompt, sizeof(prompt), "[sudo] password for %%p to start snare-%s: ", h->name);
	argv[n++] = "sudo";
	if (flag != NULL)
		argv[n++] = unconst(flag);
	argv[n++] = "-p";
	argv[n++] = prompt;
	argv[n++] = "--";
	argv[n++] = unconst(path);
	argv[n++] = "--rendezvous";
	argv[n++] = rv->dir;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s.stdin_fd = p[0];
	rc = privsep_fork_exec(&s, &h->pid);
	close(p[0]);
	/* 32 bytes fit in any pipe buffer: this never blocks.  EPIPE: sudo has
	 * exited already (with -n when a password is required), which
	 * privsep_rv_wait then reports with its exit status. */
	if (rc == 0 && write(p[1], rv->nonce, sizeof(rv->nonce)) != (ssize_t)sizeof(rv->nonce) &&
	    errno != EPIPE)
		rc = -EIO;
	close(p[1]);
	return rc;
}

/* sudo has already said why it refused; this line names the helper and,
 * when there was no terminal to ask on, what the user can do about it. */
static void privsep_sudo_error(struct privsep_helper *h, int rc, int status, bool tty, char *err,
			       size_t errlen)
{
	const char *why = strerror(-rc), *hint = "";
	char buf[64];

	if (rc == -ECHILD && WIFEXITED(status)) {
		snprintf(buf, sizeof(buf), "sudo exited with status %d", WEXITSTATUS(status));
		why = buf;
		hint = tty ? " (it says why above; see snare-helpers(8))"
			   : "; there is no terminal to ask for the password on: run snare "
			     "from a terminal, or set SUDO_ASKPASS to a program that asks for "
			     "it (sudo -A), or see snare-helpers(8)";
	} else if (rc == -ECHILD && WIFSIGNALED(status)) {
		snprintf(buf, sizeof(buf), "sudo was killed by signal %d", WTERMSIG(status));
		why = buf;
	} else if (rc == -ETIMEDOUT) {
		why = "no answer within 60 s";
	} else if (rc == -EPERM) {
		why = "the helper failed the rendezvous check";
	}
	errf(err, errlen, 0, "cannot start snare-%s through sudo: %s%s", h->name, why, hint);
}

static int privsep_launch_sudo(struct privsep_helper *h, const char *path, char *err, size_t errlen)
{
	struct privsep_rv rv;
	int rc, cfd = -1, status = 0;
	bool tty = privsep_have_tty();

	rc = privsep_rv_open(&rv);
	if (rc == 0) {
		rc = privsep_sudo_spawn(h, path, &rv, tty);
		if (rc < 0)
			h->pid = -1;
	}
	if (rc == 0)
		rc = privsep_rv_wait(&rv, h->pid, &cfd, &status);
	privsep_rv_close(&rv);
	if (rc < 0) {
		privsep_sudo_error(h, rc, status, tty, err, errlen);
		if (rc != -ECHILD && h->pid > 0)
			privsep_reap(h->pid, 0);
		h->pid = -1;
		return rc;
	}
	h->fd = cfd;
	return 0;
}

/* ---- the entry point --------------------------------------------------- */

int privsep_launch(const char *helper_name, struct privsep_helper **out, char *err, size_t errlen)
{
	struct privsep_helper *h;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if (!privsep_valid_helper_name(helper_name)) {
		errf(err, errlen, 0, "cannot start a helper: invalid name");
		return -EINVAL;
	}
	if (privsep_helper_path(helper_name, path, sizeof(path)) < 0) {
		errf(err, errlen, 0, "cannot start snare-%s: not found next to %s or in %s",
		     helper_name, "the snare binary", SNARE_LIBEXECDIR);
		return -ENOENT;
	}
	h = xcalloc(1, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", helper_name);
	h->fd = h->pid = -1;
	h->creator_uid = geteuid();
	if (h->creator_uid == 0)
		h->how = PRIVSEP_HOW_ROOT;
	else if (privsep_has_file_caps(helper_name, path))
		h->how = PRIVSEP_HOW_FILECAPS;
	else
		h->how = PRIVSEP_HOW_SUDO;
	if (h->how == PRIVSEP_HOW_SUDO)
		rc = privsep_launch_sudo(h, path, err, errlen);
	else
		rc = privsep_launch_direct(h, path, err, errlen);
	if (rc == 0)
		rc = privsep_hello(h, err, errlen);
	if (rc < 0) {
		privsep_close(h);
		return rc;
	}
	*out = h;
	return 0;
}
