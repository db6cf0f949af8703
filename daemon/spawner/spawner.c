/* The spawner: `snare --role spawner ARGV...`, one process started by the
 * coordinator before it sandboxes itself, with fd 3 its channel.
 *
 * Why it exists: starting processes and opening files are what an attacker
 * who took over the coordinator would want most, and the coordinator reads
 * flows and logs from workers that parse hostile traffic.  The spawner keeps
 * those powers so the coordinator's seccomp list can lose fork, execve and
 * path lookups (policy/seccomp_coordinator.c).
 *
 * What it may do: fork and execute the ca (first and once, while it may
 * still be root), the workers (one live process per index) and the web
 * interface (the ui, once, when web is on), reap them and
 * report each exit; on reload, parse ARGV and the configuration file again
 * and open, read-only, the files the options name.  Right after starting the
 * ca it drops to the user and enters its own seccomp list
 * (policy/seccomp_spawner.c): fork (clone without namespace flags), execve,
 * wait, kill and dup; what a freshly executed worker needs before loading its
 * own filter (the worker's network set, mmap/mprotect, prctl, capset,
 * seccomp); read-only opens, stat and getdents.  No writes to files, no Unix
 * sockets, no namespaces, no ptrace.
 *
 * What it trusts: nothing the coordinator sends beyond ipc/'s validation;
 * roles come from a fixed set, the ca is started once, and each worker index
 * at most once at a time.  It dies with its channel or its parent. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/unconst.h"
#include "config/cli.h"
#include "coordinator/coord.h"
#include "core/errf.h"
#include "core/log.h"
#include "sandbox.h"
#include "spawner/spawner.h"

#define SPAWNER_CHAN_FD 3

struct spawner {
	int argc;
	char **argv;
	char self_exe[PATH_MAX];
	char *user;
	pid_t coord_pid;
	struct loop *loop;
	struct ipc_chan chan;
	bool chan_open;
	int sigfd;
	struct loop_io sigio;
	pid_t ca;			/* 0: not started yet, -1: gone */
	pid_t ui;			/* the web interface: 0 none */
	pid_t workers[IPC_MAX_WORKERS]; /* 0: none */
	int exit_code;
};

static void spawner_fail(struct spawner *sp, const char *why)
{
	log_error("spawner: %s; stopping", why);
	sp->exit_code = 1;
	loop_stop(sp->loop);
}

static void send_spawned(struct spawner *sp, const Snare__SpawnChild *req, pid_t pid)
{
	Snare__SpawnerToCoord env = SNARE__SPAWNER_TO_COORD__INIT;
	Snare__ChildSpawned cs = SNARE__CHILD_SPAWNED__INIT;
	char err[128];

	cs.has_role = cs.has_index = 1;
	cs.role = req->role;
	cs.index = req->index;
	if (pid > 0) {
		cs.has_pid = 1;
		cs.pid = (uint32_t)pid;
	} else {
		errf(err, sizeof(err), -errno, "cannot start a process");
		cs.error = err;
	}
	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_SPAWNED;
	env.spawned = &cs;
	(void)ipc_chan_send(&sp->chan, &env.base, NULL, 0);
}

/* The ca comes first and once, while we may be root; workers after we have
 * dropped, one live process per index. */
static pid_t *spawn_slot(struct spawner *sp, const Snare__SpawnChild *req)
{
	if (req->role == IPC_SPAWN_CA)
		return sp->chan.state == IPC_ST_CONFIG ? &sp->ca : NULL;
	if (req->role == IPC_SPAWN_UI)
		return sp->chan.state == IPC_ST_RUNNING && sp->ui == 0 ? &sp->ui : NULL;
	if (sp->chan.state != IPC_ST_RUNNING || req->index >= IPC_MAX_WORKERS ||
	    sp->workers[req->index] != 0)
		return NULL;
	return &sp->workers[req->index];
}

/* Drops to the user the options name, then enters the spawner's sandbox;
 * stops if the coordinator is already gone (sandbox_startup re-arms the
 * parent-death signal the change of ids cleared). */
static int spawner_drop(struct spawner *sp)
{
	const struct sandbox_plan plan = {.role = SANDBOX_SPAWNER,
					  .user = sp->user,
					  .parent = sp->coord_pid,
					  .keep_read_search = true};
	char err[512];
	int rc = sandbox_startup(&plan, err, sizeof(err));

	if (rc < 0)
		log_error("%s", err);
	return rc;
}

static const char *role_arg(unsigned role)
{
	return role == IPC_SPAWN_CA ? "ca" : role == IPC_SPAWN_UI ? "ui" : "worker";
}

static void on_spawn(struct spawner *sp, const Snare__SpawnChild *req, struct ipc_frame *f)
{
	char *argv[] = {(char *)"snare", (char *)"--role", unconst(role_arg(req->role)), NULL};
	int fds[IPC_SPAWN_FD_SLOTS];
	pid_t *slot = spawn_slot(sp, req), pid;
	size_t i, k = 0;

	if (slot == NULL) {
		spawner_fail(sp, "a request out of order");
		return;
	}
	for (i = 0; i < IPC_SPAWN_FD_SLOTS; i++)
		fds[i] = (req->fd_slots >> i) & 1 ? f->fds[k++] : -1;
	pid = coord_exec_child(sp->self_exe, argv, fds, IPC_SPAWN_FD_SLOTS);
	if (pid > 0)
		*slot = pid;
	send_spawned(sp, req, pid);
	if (req->role == IPC_SPAWN_CA) {
		if (spawner_drop(sp) < 0) {
			spawner_fail(sp, "cannot drop privileges");
			return;
		}
		sp->chan.state = IPC_ST_RUNNING;
	}
}

static void reload_release(Snare__ReloadResult *r, struct optfiles *files)
{
	coord_options_pairs_free(r->options, r->n_options);
	free(r->modes);
	optfiles_pb_free(r->files, r->n_files);
	r->files = NULL;
	r->n_files = 0;
	optfiles_free(files);
}

/* Fills r from a parsed command line; fds gets the files, n how many. */
static int reload_fill(Snare__ReloadResult *r, const struct cli *c, int *fds, size_t *n,
		       struct optfiles *files, char *err, size_t errlen)
{
	int trust, htpasswd;
	size_t i;

	/* The scripts and rewrite files first: nothing is open if they fail. */
	if (optfiles_read(&c->opts, files, err, errlen) < 0)
		return -EINVAL;
	if (coord_open_option_files(&c->opts, &trust, &htpasswd, err, errlen) < 0)
		return -EINVAL;
	r->files = optfiles_pb(files, &r->n_files);
	r->has_fd_slots = 1;
	*n = 0;
	if (trust >= 0) {
		r->fd_slots |= 1;
		fds[(*n)++] = trust;
	}
	if (htpasswd >= 0) {
		r->fd_slots |= 2;
		fds[(*n)++] = htpasswd;
	}
	r->n_modes = c->nmodes;
	r->modes = xcalloc(c->nmodes ? c->nmodes : 1, sizeof(*r->modes));
	for (i = 0; i < c->nmodes; i++)
		r->modes[i] = c->modes[i].full;
	coord_options_pairs(&c->opts, &r->options, &r->n_options);
	return 0;
}

static void on_reload(struct spawner *sp)
{
	Snare__SpawnerToCoord env = SNARE__SPAWNER_TO_COORD__INIT;
	Snare__ReloadResult r = SNARE__RELOAD_RESULT__INIT;
	char err[512];
	int fds[2];
	size_t n = 0, i;
	struct cli c;
	struct optfiles files = {0};
	/* Started as root: read the files where root put them (sandbox.h). */
	bool raised = sandbox_read_search(true) == 0;
	bool parsed = cli_parse(sp->argc, sp->argv, &c, err, sizeof(err)) == 0;
	bool filled = parsed && reload_fill(&r, &c, fds, &n, &files, err, sizeof(err)) == 0;

	if (raised && sandbox_read_search(false) < 0) { /* fail closed */
		for (i = 0; i < n; i++)
			close(fds[i]);
		n = 0;
		snprintf(err, sizeof(err), "the spawner cannot lower CAP_DAC_READ_SEARCH");
		spawner_fail(sp, err);
		filled = false;
	}
	if (!filled) {
		reload_release(&r, &files);
		memset(&r, 0, sizeof(r));
		snare__reload_result__init(&r);
		r.error = err;
	}
	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_RELOADED;
	env.reloaded = &r;
	(void)ipc_chan_send(&sp->chan, &env.base, fds, n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (r.error == NULL)
		reload_release(&r, &files);
	if (parsed)
		cli_free(&c);
}

static void spawner_on_spawn(struct ipc_chan *ch, struct ipc_frame *f)
{
	on_spawn(ch->arg, ((Snare__CoordToSpawner *)f->msg)->spawn, f);
}

static void spawner_on_reload(struct ipc_chan *ch, struct ipc_frame *f)
{
	on_reload(ch->arg);
}

/* What the spawner does with each message the coordinator may send (the
 * COORD_TO_SPAWNER rows of ipc_validate.c say in which states). */
static const struct ipc_handler spawner_handlers[] = {
    {SNARE__COORD_TO_SPAWNER__BODY_SPAWN, spawner_on_spawn},
    {SNARE__COORD_TO_SPAWNER__BODY_RELOAD, spawner_on_reload},
};

static void spawner_on_close(struct ipc_chan *ch, int err)
{
	struct spawner *sp = ch->arg;

	ipc_chan_close(&sp->chan);
	sp->chan_open = false;
	if (err < 0)
		log_error("spawner: protocol violation on the coordinator's channel (%s)",
			  strerror(-err));
	loop_stop(sp->loop);
}

static void send_exited(struct spawner *sp, pid_t pid, int status)
{
	Snare__SpawnerToCoord env = SNARE__SPAWNER_TO_COORD__INIT;
	Snare__ChildExited ce = SNARE__CHILD_EXITED__INIT;

	ce.has_pid = ce.has_status = 1;
	ce.pid = (uint32_t)pid;
	ce.status = status;
	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_EXITED;
	env.exited = &ce;
	if (sp->chan_open)
		(void)ipc_chan_send(&sp->chan, &env.base, NULL, 0);
}

/* Forgets pid (its slot is free again); false when it was not ours. */
static bool forget(struct spawner *sp, pid_t pid)
{
	size_t i;

	if (pid == sp->ca) {
		sp->ca = -1;
		return true;
	}
	if (pid == sp->ui) {
		sp->ui = -1; /* started once */
		return true;
	}
	for (i = 0; i < IPC_MAX_WORKERS; i++) {
		if (sp->workers[i] == pid) {
			sp->workers[i] = 0;
			return true;
		}
	}
	return false;
}

static void reap(struct spawner *sp)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (forget(sp, pid))
			send_exited(sp, pid, status);
}

static void on_signal(struct loop_io *io, uint32_t events)
{
	struct spawner *sp = io->arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(sp->sigfd, &si, sizeof(si)) == sizeof(si))
		reap(sp);
}

/* Nothing is left behind: every child is killed and reaped. */
static void kill_all(struct spawner *sp)
{
	size_t i;

	if (sp->ca > 0)
		kill(sp->ca, SIGKILL);
	if (sp->ui > 0)
		kill(sp->ui, SIGKILL);
	for (i = 0; i < IPC_MAX_WORKERS; i++)
		if (sp->workers[i] > 0)
			kill(sp->workers[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

static int spawner_setup(struct spawner *sp)
{
	struct cli c;
	char err[512];
	sigset_t set;
	ssize_t n = readlink("/proc/self/exe", sp->self_exe, sizeof(sp->self_exe) - 1);

	if (n <= 0)
		return -errno;
	sp->self_exe[n] = '\0';
	if (cli_parse(sp->argc, sp->argv, &c, err, sizeof(err)) < 0) {
		log_error("spawner: %s", err);
		return -EINVAL;
	}
	sp->user = xstrdup(c.opts.user ? c.opts.user : "nobody");
	cli_free(&c);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN); /* reloads come from the coordinator */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sp->loop = loop_new();
	sp->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sp->loop == NULL || sp->sigfd < 0)
		return -ENOMEM;
	loop_io_init(&sp->sigio, sp->sigfd, on_signal, sp);
	if (loop_io_set(sp->loop, &sp->sigio, EPOLLIN) < 0 ||
	    ipc_chan_init(&sp->chan, sp->loop, SPAWNER_CHAN_FD, IPC_CH_COORD_TO_SPAWNER, NULL,
			  spawner_on_close, sp) < 0)
		return -EIO;
	ipc_chan_handlers(&sp->chan, spawner_handlers, ARRAY_SIZE(spawner_handlers));
	sp->chan.state = IPC_ST_CONFIG;
	sp->chan_open = true;
	return 0;
}

int spawner_main(int argc, char **argv)
{
	struct spawner *sp = xcalloc(1, sizeof(*sp));
	int rc;

	sp->argc = argc;
	sp->argv = argv;
	sp->sigfd = -1;
	sp->coord_pid = getppid();
	if (spawner_setup(sp) < 0) {
		rc = 1;
		goto out;
	}
	loop_run(sp->loop);
	rc = sp->exit_code;
out:
	kill_all(sp);
	if (sp->chan_open)
		ipc_chan_close(&sp->chan);
	if (sp->sigfd >= 0)
		close(sp->sigfd);
	if (sp->loop)
		loop_free(sp->loop);
	free(sp->user);
	free(sp);
	return rc;
}
