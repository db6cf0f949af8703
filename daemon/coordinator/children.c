/* Runs in the coordinator: has the spawner start the ca and the workers
 * (snare re-executed with a hidden role flag: fresh ASLR, nothing inherited
 * but the channels), hands them their configuration, and replaces dead
 * workers when the spawner reports their exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "coordinator/intercept_route.h"
#include "core/log.h"

#define RESPAWN_DELAY_MS 100
#define WORKER_GRACE_MS 1000 /* open connections may finish (the coordinator waits 1.5 s) */
static const char *child_name(const struct coord_child *c)
{
	return c->kind == CHILD_CA ? "ca" : c->kind == CHILD_UI ? "ui" : "worker";
}

static void child_on_close(struct ipc_chan *ch, int err)
{
	struct coord_child *c = ch->arg;

	ipc_chan_close(&c->chan);
	c->chan_open = false;
	if (c->kind == CHILD_WORKER) {
		coord_parts_drop_worker(c->index);	 /* its flow body pieces go with it */
		coord_hold_worker_gone(c->co, c->index); /* and its held flows */
	}
	/* EOF: the child is exiting and SIGCHLD follows.  Anything else is a
	 * protocol violation, and the child is stopped. */
	if (err < 0 && err != -EPIPE && err != -ECONNRESET && c->pid > 0) {
		if (!c->co->stopping)
			log_warn("%s %u: protocol violation on its channel (%s); stopping it",
				 child_name(c), c->index, strerror(-err));
		kill(c->pid, SIGKILL);
	}
}

static void worker_send_config(struct coord_child *w)
{
	struct coord *co = w->co;
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	Snare__WorkerConfig cfg = SNARE__WORKER_CONFIG__INIT;
	Snare__Listener *ls = xcalloc(co->nlisteners, sizeof(*ls));
	Snare__Listener **lp = xcalloc(co->nlisteners, sizeof(*lp));
	char **modes = xcalloc(co->cli->nmodes, sizeof(*modes));
	int *fds = xcalloc(co->nlisteners, sizeof(*fds));
	size_t i, n = 0;

	for (i = 0; i < co->cli->nmodes; i++)
		modes[i] = co->cli->modes[i].full;
	for (i = 0; i < co->nlisteners; i++) {
		/* TUN fds and UDP sockets are served by one worker: worker 0. */
		if (coord_listener_single(co, &co->listeners[i]) && w->index != 0)
			continue;
		snare__listener__init(&ls[n]);
		ls[n].has_mode_index = ls[n].has_udp = ls[n].has_packet = 1;
		ls[n].mode_index = co->listeners[i].mode_index;
		ls[n].udp = co->listeners[i].udp;
		ls[n].packet = co->listeners[i].packet;
		lp[n] = &ls[n];
		fds[n++] = co->listeners[i].fd;
	}
	cfg.has_worker_index = 1;
	cfg.worker_index = w->index;
	cfg.n_modes = co->cli->nmodes;
	cfg.modes = modes;
	cfg.n_listeners = n;
	coord_wireguard_fill(co, &cfg, w->index);
	cfg.has_want_flows = 1;
	cfg.want_flows = co->cli->opts.flow_detail > 0 || co->ff != NULL || co->out.har != NULL ||
			 co->cli->opts.web;
	cfg.listeners = lp;
	coord_options_pairs(&co->cli->opts, &cfg.options, &cfg.n_options);
	cfg.files = coord_scripts_pb(co, &cfg.n_files);
	cfg.has_server_replay_flows = 1;
	cfg.server_replay_flows = (uint32_t)coord_replay_server_count(co);
	env.body_case = SNARE__COORD_TO_WORKER__BODY_CONFIG;
	env.config = &cfg;
	if (ipc_chan_send(&w->chan, &env.base, fds, n) < 0)
		log_warn("worker %u: cannot send its configuration", w->index);
	coord_replay_send_server(w);
	coord_replay_send_client(w);
	coord_options_pairs_free(cfg.options, cfg.n_options);
	optfiles_pb_free(cfg.files, cfg.n_files);
	coord_wireguard_release(&cfg);
	free(ls);
	free(lp);
	free(modes);
	free(fds);
}

static void worker_on_hello(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;

	w->chan.state = IPC_ST_RUNNING;
	worker_send_config(w);
}

static void worker_on_log(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;

	coord_on_log(w->co, ((Snare__WorkerToCoord *)f->msg)->log);
}

static void worker_on_flow(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;

	coord_on_flow(w->co, w, ((Snare__WorkerToCoord *)f->msg)->flow->flow);
}

static void worker_on_flow_body(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;

	coord_on_flow_body(w->co, w->index, ((Snare__WorkerToCoord *)f->msg)->flow_body);
}

/* What the coordinator does with each message a worker may send (the
 * WORKER_TO_COORD rows of ipc_validate.c say in which states); flows first,
 * they are the hot path. */
static const struct ipc_handler worker_handlers[] = {
    {SNARE__WORKER_TO_COORD__BODY_FLOW, worker_on_flow},
    {SNARE__WORKER_TO_COORD__BODY_FLOW_BODY, worker_on_flow_body},
    {SNARE__WORKER_TO_COORD__BODY_LOG, worker_on_log},
    {SNARE__WORKER_TO_COORD__BODY_HELLO, worker_on_hello},
    {SNARE__WORKER_TO_COORD__BODY_HELD, coord_hold_on_held},
    {SNARE__WORKER_TO_COORD__BODY_RELEASED, coord_hold_on_released},
    {SNARE__WORKER_TO_COORD__BODY_EDIT_RESULT, coord_hold_on_edit_result},
    {SNARE__WORKER_TO_COORD__BODY_REPLAY_DONE, coord_replay_on_done},
};

static void ca_send_attach(struct coord *co, struct coord_child *w)
{
	Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;
	Snare__AttachWorker at = SNARE__ATTACH_WORKER__INIT;

	if (!co->ca.chan_open || w->ca_peer_fd < 0)
		return;
	at.has_worker_index = 1;
	at.worker_index = w->index;
	env.body_case = SNARE__COORD_TO_CA__BODY_ATTACH_WORKER;
	env.attach_worker = &at;
	if (ipc_chan_send(&co->ca.chan, &env.base, &w->ca_peer_fd, 1) < 0)
		log_warn("cannot attach worker %u to the ca", w->index);
	close(w->ca_peer_fd);
	w->ca_peer_fd = -1;
}

static void ca_send_config(struct coord *co)
{
	Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;
	Snare__CaConfig cfg = SNARE__CA_CONFIG__INIT;
	size_t i;

	cfg.confdir = co->cli->opts.confdir;
	cfg.has_key_size = 1;
	cfg.key_size = (uint32_t)co->cli->opts.key_size;
	cfg.user = co->cli->opts.user;
#ifdef SNARE_TEST_HOOKS
	/* Test builds: a small signing burst that never refills, so that an
	 * integration test can trip the ca's per-worker rate limit. */
	if (getenv("SNARE_TEST_CA_SIGN_BURST") != NULL) {
		cfg.has_test_sign_burst = cfg.has_test_sign_rate = 1;
		cfg.test_sign_burst = (uint32_t)atoi(getenv("SNARE_TEST_CA_SIGN_BURST"));
		cfg.test_sign_rate = 0;
	}
#endif
	env.body_case = SNARE__COORD_TO_CA__BODY_CONFIG;
	env.config = &cfg;
	if (ipc_chan_send(&co->ca.chan, &env.base, NULL, 0) < 0)
		log_warn("cannot configure the ca");
	for (i = 0; i < co->nworkers; i++)
		ca_send_attach(co, &co->workers[i]);
}

static void ca_on_hello(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *c = ch->arg;

	c->chan.state = IPC_ST_CONFIG;
	ca_send_config(c->co);
}

static void ca_on_ready(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *c = ch->arg;

	c->chan.state = IPC_ST_RUNNING;
}

static void ca_on_log(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *c = ch->arg;

	coord_on_log(c->co, ((Snare__CaToCoord *)f->msg)->log);
}

/* What the coordinator does with each message the ca may send (the
 * CA_TO_COORD rows of ipc_validate.c say in which states). */
static const struct ipc_handler ca_handlers[] = {
    {SNARE__CA_TO_COORD__BODY_HELLO, ca_on_hello},
    {SNARE__CA_TO_COORD__BODY_READY, ca_on_ready},
    {SNARE__CA_TO_COORD__BODY_LOG, ca_on_log},
};

static const enum ipc_channel child_rx[] = {
    [CHILD_CA] = IPC_CH_CA_TO_COORD,
    [CHILD_WORKER] = IPC_CH_WORKER_TO_COORD,
    [CHILD_UI] = IPC_CH_UI_TO_COORD,
};

int coord_child_channel(struct coord *co, struct coord_child *c, int *theirs)
{
	int sp[2], err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	err = ipc_chan_init(&c->chan, co->loop, sp[0], child_rx[c->kind], NULL, child_on_close, c);
	if (err < 0) {
		close(sp[0]);
		close(sp[1]);
		return err;
	}
	if (c->kind == CHILD_CA)
		ipc_chan_handlers(&c->chan, ca_handlers, ARRAY_SIZE(ca_handlers));
	else if (c->kind == CHILD_WORKER)
		ipc_chan_handlers(&c->chan, worker_handlers, ARRAY_SIZE(worker_handlers));
	c->chan.state = IPC_ST_HELLO;
	c->chan_open = true;
	*theirs = sp[1];
	return 0;
}

int coord_spawn_ca(struct coord *co)
{
	struct coord_child *c = &co->ca;
	int theirs, err;

	c->co = co;
	c->kind = CHILD_CA;
	if ((err = coord_child_channel(co, c, &theirs)) < 0)
		return err;
	err = coord_spawner_request(co, IPC_SPAWN_CA, 0, &theirs, 1);
	close(theirs);
	c->spawning = err == 0;
	return err;
}

int coord_spawn_worker(struct coord *co, struct coord_child *w)
{
	int theirs, ca_sp[2], err;

	w->co = co;
	w->kind = CHILD_WORKER;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ca_sp) < 0)
		return -errno;
	if ((err = coord_child_channel(co, w, &theirs)) < 0) {
		close(ca_sp[0]);
		close(ca_sp[1]);
		return err;
	}
	{
		int fds[6] = {theirs,	    ca_sp[0],	     co->keylog_fd,
			      co->trust_fd, co->htpasswd_fd, co->procmap_fd};

		err = coord_spawner_request(co, IPC_SPAWN_WORKER, w->index, fds, 6);
	}
	w->started_ms = loop_now(co->loop);
	close(theirs);
	close(ca_sp[0]);
	w->ca_peer_fd = ca_sp[1];
	w->spawning = err == 0;
	if (err < 0) {
		ipc_chan_close(&w->chan);
		w->chan_open = false;
		close(ca_sp[1]);
		w->ca_peer_fd = -1;
		return err;
	}
	if (co->ca.chan.state != IPC_ST_HELLO)
		ca_send_attach(co, w);
	return 0;
}

static void respawn_fire(struct loop_timer *t)
{
	struct coord_child *w = t->arg;

	if (w->co->stopping)
		return;
	if (coord_spawn_worker(w->co, w) < 0) {
		log_error("cannot restart worker %u", w->index);
		loop_timer_arm(w->co->loop, &w->respawn, 1000);
		return;
	}
	w->respawned = true; /* logged, and excluded from capture, with its pid */
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void child_died(struct coord *co, struct coord_child *c, int status)
{
	char why[128];
	uint64_t delay;

	c->pid = -1;
	if (c->chan_open) {
		ipc_chan_close(&c->chan);
		c->chan_open = false;
	}
	if (c->kind == CHILD_WORKER) {
		coord_parts_drop_worker(c->index);
		coord_hold_worker_gone(co, c->index);
	}
	if (c->ca_peer_fd >= 0 && c->kind == CHILD_WORKER) {
		close(c->ca_peer_fd);
		c->ca_peer_fd = -1;
	}
	if (co->stopping)
		return;
	describe_status(status, why, sizeof(why));
	if (c->kind == CHILD_UI) { /* the proxy goes on: traffic never waits on the ui */
		log_error("the web interface process %s; snare goes on without it", why);
		return;
	}
	if (c->kind == CHILD_CA) {
		log_error("the ca process %s; stopping", why);
		co->exit_code = 1;
		kill(getpid(), SIGTERM);
		return;
	}
	if (c->reloading) {
		c->reloading = false;
		loop_timer_init(&c->respawn, respawn_fire, c);
		loop_timer_arm(co->loop, &c->respawn, 0);
		return;
	}
	/* A worker that dies soon after its start is in a crash loop: back off
	 * (100 ms doubling up to 5 s) instead of spinning. */
	if (loop_now(co->loop) - c->started_ms < 2000)
		c->restarts++;
	else
		c->restarts = 0;
	delay = RESPAWN_DELAY_MS << (c->restarts > 6 ? 6 : c->restarts);
	if (delay > 5000)
		delay = 5000;
	log_warn("worker %u %s; restarting it", c->index, why);
	loop_timer_init(&c->respawn, respawn_fire, c);
	loop_timer_arm(co->loop, &c->respawn, delay);
}

static struct coord_child *child_by_pid(struct coord *co, pid_t pid)
{
	size_t i;

	if (pid <= 0)
		return NULL;
	if (co->ca.pid == pid)
		return &co->ca;
	if (co->ui.pid == pid)
		return &co->ui;
	for (i = 0; i < co->nworkers; i++)
		if (co->workers[i].pid == pid)
			return &co->workers[i];
	return NULL;
}

void coord_child_exited(struct coord *co, pid_t pid, int status)
{
	struct coord_child *c = child_by_pid(co, pid);

	if (c == NULL) {
		log_debug("spawner: exit of unknown pid %d ignored", (int)pid);
		return;
	}
	child_died(co, c, status);
	if (co->stopping && coord_children_gone(co))
		loop_stop(co->loop);
}

static bool workers_pending(const struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nworkers; i++)
		if (co->workers[i].spawning)
			return true;
	return false;
}

/* The answer to a request: the pid, or a failure handled as a death. */
void coord_child_spawned(struct coord *co, const Snare__ChildSpawned *m)
{
	struct coord_child *c = m->role == IPC_SPAWN_CA	  ? &co->ca
				: m->role == IPC_SPAWN_UI ? &co->ui
				: m->index < co->nworkers ? &co->workers[m->index]
							  : NULL;

	if (c == NULL || !c->spawning || (m->role == IPC_SPAWN_CA) != (c->kind == CHILD_CA) ||
	    (m->role == IPC_SPAWN_UI) != (c->kind == CHILD_UI)) {
		log_error("spawner: an answer nobody asked for; stopping");
		coord_begin_stop(co, 1);
		return;
	}
	c->spawning = false;
	if (m->error != NULL) {
		log_error("spawner: %s", m->error);
		child_died(co, c, 127 << 8);
		return;
	}
	c->pid = (pid_t)m->pid;
	if (co->stopping) {
		kill(c->pid, SIGKILL);
		return;
	}
	if (c->respawned)
		log_info("worker %u restarted (pid %d)", c->index, (int)c->pid);
	c->respawned = false;
	/* New workers must not be captured (local mode): once none is pending. */
	if (c->kind == CHILD_WORKER && !workers_pending(co) && coord_local_update(co) < 0)
		coord_begin_stop(co, 1);
}

void coord_children_lost(struct coord *co)
{
	size_t i;

	co->ca.pid = -1;
	co->ca.spawning = false;
	co->ui.pid = -1;
	co->ui.spawning = false;
	for (i = 0; i < co->nworkers; i++) {
		co->workers[i].pid = -1;
		co->workers[i].spawning = false;
	}
}

static void child_send_shutdown(struct coord_child *c)
{
	if (!c->chan_open)
		return;
	if (c->kind == CHILD_CA) {
		Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;
		Snare__Shutdown sd = SNARE__SHUTDOWN__INIT;

		env.body_case = SNARE__COORD_TO_CA__BODY_SHUTDOWN;
		env.shutdown = &sd;
		(void)ipc_chan_send(&c->chan, &env.base, NULL, 0);
	} else {
		Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
		Snare__Shutdown sd = SNARE__SHUTDOWN__INIT;

		sd.has_grace_ms = 1;
		sd.grace_ms = WORKER_GRACE_MS;
		env.body_case = SNARE__COORD_TO_WORKER__BODY_SHUTDOWN;
		env.shutdown = &sd;
		(void)ipc_chan_send(&c->chan, &env.base, NULL, 0);
	}
}

void coord_shutdown_children(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nworkers; i++) {
		loop_timer_cancel(co->loop, &co->workers[i].respawn);
		child_send_shutdown(&co->workers[i]);
	}
	child_send_shutdown(&co->ca);
	if (co->ui.chan_open) { /* the ui stops at the end of its channel */
		ipc_chan_close(&co->ui.chan);
		co->ui.chan_open = false;
	}
}

bool coord_children_gone(const struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nworkers; i++)
		if (co->workers[i].pid > 0 || co->workers[i].spawning)
			return false;
	if (co->ui.pid > 0 || co->ui.spawning)
		return false;
	return co->ca.pid <= 0 && !co->ca.spawning;
}

void coord_kill_children(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nworkers; i++)
		if (co->workers[i].pid > 0)
			kill(co->workers[i].pid, SIGKILL);
	if (co->ca.pid > 0)
		kill(co->ca.pid, SIGKILL);
	if (co->ui.pid > 0)
		kill(co->ui.pid, SIGKILL);
}

#ifdef SNARE_TEST_HOOKS
/* Test builds only (SIGUSR2): asks every worker to make a forbidden syscall. */
void coord_test_trigger(struct coord *co)
{
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	Snare__TestTrigger tt = SNARE__TEST_TRIGGER__INIT;
	size_t i;

	tt.has_what = 1;
	tt.what = 1;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_TEST_TRIGGER;
	env.test_trigger = &tt;
	for (i = 0; i < co->nworkers; i++)
		if (co->workers[i].chan_open)
			(void)ipc_chan_send(&co->workers[i].chan, &env.base, NULL, 0);
}
#endif

void coord_restart_workers(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nworkers; i++) {
		if (co->workers[i].pid <= 0 || !co->workers[i].chan_open)
			continue;
		co->workers[i].reloading = true;
		child_send_shutdown(&co->workers[i]);
	}
}
