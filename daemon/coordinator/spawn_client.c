/* Runs in the coordinator: starts the spawner (while still privileged, before
 * the coordinator's sandbox) and talks to it.  Everything the spawner sends is
 * validated by ipc/ and checked again against what was asked for; a spawner
 * that breaks the protocol or goes away stops snare. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "core/log.h"

#define SPAWNER_EXIT_WAIT_MS 2000

static void spawner_on_spawned(struct ipc_chan *ch, struct ipc_frame *f)
{
	coord_child_spawned(ch->arg, ((Snare__SpawnerToCoord *)f->msg)->spawned);
}

static void spawner_on_exited(struct ipc_chan *ch, struct ipc_frame *f)
{
	const Snare__ChildExited *m = ((Snare__SpawnerToCoord *)f->msg)->exited;

	coord_child_exited(ch->arg, (pid_t)m->pid, m->status);
}

static void spawner_on_reloaded(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord *co = ch->arg;

	co->reload_pending = false;
	coord_on_reload_result(co, ((Snare__SpawnerToCoord *)f->msg)->reloaded, f);
}

/* What the coordinator does with each message the spawner may send (the
 * SPAWNER_TO_COORD rows of ipc_validate.c say in which states). */
static const struct ipc_handler spawner_handlers[] = {
    {SNARE__SPAWNER_TO_COORD__BODY_SPAWNED, spawner_on_spawned},
    {SNARE__SPAWNER_TO_COORD__BODY_EXITED, spawner_on_exited},
    {SNARE__SPAWNER_TO_COORD__BODY_RELOADED, spawner_on_reloaded},
};

static void spawner_on_close(struct ipc_chan *ch, int err)
{
	struct coord *co = ch->arg;

	ipc_chan_close(&co->spawner);
	co->spawner_open = false;
	coord_children_lost(co);
	if (co->stopping) { /* e.g. SIGTERM to the whole group */
		loop_stop(co->loop);
		return;
	}
	log_error("the spawner process went away (%s); stopping",
		  err < 0 ? strerror(-err) : "end of file");
	coord_begin_stop(co, 1);
}

int coord_spawner_start(struct coord *co)
{
	char **argv = xcalloc((size_t)co->argc + 4, sizeof(*argv));
	int sp[2], err = 0, i;

	argv[0] = (char *)"snare";
	argv[1] = (char *)"--role";
	argv[2] = (char *)"spawner";
	for (i = 0; i < co->argc; i++)
		argv[3 + i] = co->argv[i];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		err = -errno;
		goto out;
	}
	co->spawner_pid = coord_exec_child(co->self_exe, argv, &sp[1], 1);
	close(sp[1]);
	if (co->spawner_pid < 0) {
		err = -errno;
		close(sp[0]);
		goto out;
	}
	if ((err = ipc_chan_init(&co->spawner, co->loop, sp[0], IPC_CH_SPAWNER_TO_COORD, NULL,
				 spawner_on_close, co)) < 0) {
		close(sp[0]);
		goto out;
	}
	ipc_chan_handlers(&co->spawner, spawner_handlers, ARRAY_SIZE(spawner_handlers));
	co->spawner.state = IPC_ST_RUNNING;
	co->spawner_open = true;
out:
	free(argv);
	return err;
}

int coord_spawner_request(struct coord *co, unsigned role, unsigned index, const int *fds, int n)
{
	Snare__CoordToSpawner env = SNARE__COORD_TO_SPAWNER__INIT;
	Snare__SpawnChild sc = SNARE__SPAWN_CHILD__INIT;
	int sent[IPC_SPAWN_FD_SLOTS];
	size_t nsent = 0;
	int i;

	if (!co->spawner_open)
		return -EPIPE;
	if (n < 1 || n > IPC_SPAWN_FD_SLOTS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		sc.fd_slots |= 1u << i;
		sent[nsent++] = fds[i];
	}
	sc.has_role = sc.has_index = sc.has_fd_slots = 1;
	sc.role = role;
	sc.index = index;
	env.body_case = SNARE__COORD_TO_SPAWNER__BODY_SPAWN;
	env.spawn = &sc;
	return ipc_chan_send(&co->spawner, &env.base, sent, nsent);
}

int coord_spawner_reload(struct coord *co)
{
	Snare__CoordToSpawner env = SNARE__COORD_TO_SPAWNER__INIT;
	Snare__ReloadRequest rr = SNARE__RELOAD_REQUEST__INIT;
	int err;

	if (!co->spawner_open)
		return -EPIPE;
	if (co->reload_pending)
		return -EBUSY;
	env.body_case = SNARE__COORD_TO_SPAWNER__BODY_RELOAD;
	env.reload = &rr;
	if ((err = ipc_chan_send(&co->spawner, &env.base, NULL, 0)) == 0)
		co->reload_pending = true;
	return err;
}

static bool spawner_reaped(pid_t pid, int ms)
{
	struct timespec ten = {0, 10 * 1000000L};
	pid_t r;

	for (;;) {
		r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		if (ms <= 0)
			return false;
		nanosleep(&ten, NULL);
		ms -= 10;
	}
}

void coord_spawner_stop(struct coord *co)
{
	if (co->spawner_open) {
		ipc_chan_close(&co->spawner);
		co->spawner_open = false;
	}
	if (co->spawner_pid <= 0)
		return;
	if (!spawner_reaped(co->spawner_pid, SPAWNER_EXIT_WAIT_MS)) {
		kill(co->spawner_pid, SIGKILL);
		(void)spawner_reaped(co->spawner_pid, SPAWNER_EXIT_WAIT_MS);
	}
	co->spawner_pid = -1;
}
