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

/* The start-up plan (helper.h): one row a step, in order.  A step fails
 * with a negative code and, in err, a line that says what failed; a step
 * that leaves err empty is named by its row. */
struct helper_start_args {
	const char *rendezvous; /* the sudo rendezvous directory, or NULL (fd 3) */
};

/* A parent that dies sends SIGTERM (direct launch: the coordinator), so
 * the helper undoes its work before it goes. */
static int helper_step_pdeath(struct helper *h, const struct helper_start_args *a, char *err,
			      size_t errlen)
{
	return prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 ? -errno : 0;
}

/* Capabilities limited first (plus what connecting to a user's 0700
 * directory needs, under sudo), then the channel. */
static int helper_step_connect(struct helper *h, const struct helper_start_args *a, char *err,
			       size_t errlen)
{
	static const cap_value_t connect_caps[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
	const struct helper_def *d = h->def;
	int rc;

	rc = helper_caps_limit(d->caps, d->ncaps, connect_caps, a->rendezvous ? 2 : 0, err, errlen);
	if (rc < 0)
		return rc;
	if (a->rendezvous == NULL)
		return helper_chan_inherited(h, err, errlen);
	return helper_chan_rendezvous(h, a->rendezvous, err, errlen);
}

static int helper_step_parent(struct helper *h, const struct helper_start_args *a, char *err,
			      size_t errlen)
{
	return a->rendezvous == NULL && getppid() != h->peer_pid ? -ESRCH : 0;
}

static int helper_step_caps(struct helper *h, const struct helper_start_args *a, char *err,
			    size_t errlen)
{
	return helper_caps_limit(h->def->caps, h->def->ncaps, NULL, 0, err, errlen);
}

static int helper_step_init(struct helper *h, const struct helper_start_args *a, char *err,
			    size_t errlen)
{
	return h->def->init != NULL ? h->def->init(h, err, errlen) : 0;
}

static int helper_step_sandbox(struct helper *h, const struct helper_start_args *a, char *err,
			       size_t errlen)
{
	return helper_sandbox_enter(h->def, err, errlen);
}

static int helper_step_hello(struct helper *h, const struct helper_start_args *a, char *err,
			     size_t errlen)
{
	return helper_send_hello(h);
}

static const struct {
	const char *what;
	int (*fn)(struct helper *h, const struct helper_start_args *a, char *err, size_t errlen);
} helper_plan[] = {
    {"cannot arm the parent-death signal", helper_step_pdeath},
    {"cannot connect to snare", helper_step_connect},
    {"the coordinator is gone", helper_step_parent},
    {"cannot limit capabilities", helper_step_caps},
    {"cannot prepare", helper_step_init},
    {"cannot enter the sandbox", helper_step_sandbox},
    {"cannot send hello", helper_step_hello},
};

/* Runs the plan; on error one line in err. */
static int helper_start(struct helper *h, const struct helper_start_args *a, char *err,
			size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(helper_plan); i++) {
		err[0] = '\0';
		rc = helper_plan[i].fn(h, a, err, errlen);
		if (rc == 0)
			continue;
		if (err[0] == '\0')
			errf(err, errlen, rc, "%s", helper_plan[i].what);
		return rc;
	}
	return 0;
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
		helper_on_frame(h);
	}
}

int main(int argc, char **argv)
{
	static struct helper h;
	const struct helper_start_args args = {.rendezvous = argc == 3 ? argv[2] : NULL};
	char err[256] = "";
	int sigfd;

	snprintf(helper_prog, sizeof(helper_prog), "snare-%s", helper_def.name);
	snare_progname = helper_prog;
	if (!(argc == 1 || (argc == 3 && strcmp(argv[1], "--rendezvous") == 0)))
		helper_usage();
	/* Nothing inherited but stdio and, when forked directly, fd 3. */
	close_range(argc == 1 ? 4 : 3, ~0u, 0);
	h.def = &helper_def;
	h.chan = -1;
	h.proto = &helper_privsep_proto;
	h.state = PRIVSEP_ST_HELLO;
	privsep_undo_init(&h.undo);
	sigfd = helper_signals();
	if (sigfd < 0) {
		helper_log_err(sigfd, "signals");
		return 1;
	}
	if (helper_start(&h, &args, err, sizeof(err)) < 0) {
		helper_log("%s", err);
		helper_exit(&h, 1);
	}
	helper_run(&h, sigfd);
}
