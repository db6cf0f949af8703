/* main() of every privileged helper, top to bottom as its lifecycle: block
 * the exit signals, connect the channel (fd 3, or the sudo rendezvous),
 * limit capabilities, let the helper open what it needs, enter the sandbox,
 * say Hello, then serve requests until EOF, a signal or a violation, each of
 * which undoes everything first.  Trusts only its own argv shape. */
#include "helper.h"
#include "core/errf.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

static char helper_prog[PRIVSEP_NAME_MAX + 8];

static void helper_vlog(int rc, const char *fmt, va_list ap)
{
	char line[512];

	verrf(line, sizeof(line), rc, fmt, ap);
	fprintf(stderr, "%s: %s\n", helper_prog, line);
}

void helper_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	helper_vlog(0, fmt, ap);
	va_end(ap);
}

void helper_log_err(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	helper_vlog(rc, fmt, ap);
	va_end(ap);
}

/* rep->msg is printed by snare: only printable ASCII goes in it. */
static int helper_vfail(struct helper_reply *rep, int code, int rc, const char *fmt, va_list ap)
{
	char *p;

	verrf(rep->msg, sizeof(rep->msg), rc, fmt, ap);
	for (p = rep->msg; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (rep->msg[0] == '\0')
		snprintf(rep->msg, sizeof(rep->msg), "failed");
	return code < 0 ? code : -EIO;
}

int helper_fail(struct helper_reply *rep, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = helper_vfail(rep, code, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int helper_fail_err(struct helper_reply *rep, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = helper_vfail(rep, code, code, fmt, ap);
	va_end(ap);
	return rc;
}

void helper_exit(struct helper *h, int status)
{
	size_t n = privsep_undo_run(&h->undo);

	if (n > 0)
		helper_log("undid %zu change%s", n, n == 1 ? "" : "s");
	exit(status);
}

/* SIGTERM and SIGINT arrive on a signalfd; SIGPIPE is ignored, and so is
 * SIGHUP: a helper's life is its channel, and a hangup is snare's to judge (a
 * service reloads on it, a terminal's snare stops and its channel closes).
 * A SIGHUP sent to a service's whole process group or cgroup must not undo
 * the helper's changes under a snare that keeps running. */
static int helper_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static void __attribute__((noreturn)) helper_usage(void)
{
	fprintf(stderr,
		"usage: %s [--rendezvous DIR]\n"
		"Started by snare, never by hand: see snare-helpers(8).\n",
		helper_prog);
	exit(2);
}

/* Capabilities first (plus what connecting to a user's 0700 directory
 * needs, under sudo), then the channel. */
static int helper_connect(struct helper *h, int argc, char **argv, char *err, size_t errlen)
{
	static const cap_value_t connect_caps[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
	const struct helper_def *d = h->def;
	bool sudo = argc == 3;
	int rc;

	rc = helper_caps_limit(d->caps, d->ncaps, connect_caps, sudo ? 2 : 0, err, errlen);
	if (rc < 0)
		return rc;
	if (!sudo)
		return helper_chan_inherited(h, err, errlen);
	return helper_chan_rendezvous(h, argv[2], err, errlen);
}

static int helper_start(struct helper *h, int argc, char **argv, char *err, size_t errlen)
{
	const struct helper_def *d = h->def;
	int rc;

	/* A parent that dies sends SIGTERM (direct launch: the coordinator). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		return -errno;
	rc = helper_connect(h, argc, argv, err, errlen);
	if (rc < 0)
		return rc;
	if (argc == 1 && getppid() != h->peer_pid) {
		snprintf(err, errlen, "the coordinator is gone");
		return -ESRCH;
	}
	rc = helper_caps_limit(d->caps, d->ncaps, NULL, 0, err, errlen);
	if (rc == 0 && d->init != NULL)
		rc = d->init(h, err, errlen);
	if (rc == 0)
		rc = helper_sandbox_enter(d, err, errlen);
	if (rc == 0 && (rc = helper_send_hello(h)) < 0)
		errf(err, errlen, rc, "cannot send hello");
	return rc;
}

static void __attribute__((noreturn)) helper_run(struct helper *h, int sigfd)
{
	struct pollfd pfd[2] = {{.fd = h->chan, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			helper_log_err(-errno, "poll");
			helper_exit(h, 1);
		}
		if (pfd[1].revents != 0) {
			if (read(sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				si.ssi_signo = 0;
			helper_log("signal %u: undoing and exiting", si.ssi_signo);
			helper_exit(h, 0);
		}
		if (pfd[0].revents == 0)
			continue;
		if (h->state != PRIVSEP_ST_HELLO && h->def->on_frame != NULL)
			h->def->on_frame(h);
		else
			helper_on_frame(h);
	}
}

int main(int argc, char **argv)
{
	static struct helper h;
	char err[256] = "";
	int sigfd, rc;

	snprintf(helper_prog, sizeof(helper_prog), "snare-%s", helper_def.name);
	snare_progname = helper_prog;
	if (!(argc == 1 || (argc == 3 && strcmp(argv[1], "--rendezvous") == 0)))
		helper_usage();
	/* Nothing inherited but stdio and, when forked directly, fd 3. */
	close_range(argc == 1 ? 4 : 3, ~0u, 0);
	h.def = &helper_def;
	h.chan = -1;
	h.state = PRIVSEP_ST_HELLO;
	privsep_undo_init(&h.undo);
	sigfd = helper_signals();
	if (sigfd < 0) {
		helper_log_err(sigfd, "signals");
		return 1;
	}
	rc = helper_start(&h, argc, argv, err, sizeof(err));
	if (rc < 0) {
		helper_log("%s", err[0] != '\0' ? err : strerror(-rc));
		helper_exit(&h, 1);
	}
	helper_run(&h, sigfd);
}
