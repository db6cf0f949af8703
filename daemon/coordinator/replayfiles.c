/* Runs in the coordinator: the replay files and requests.  server_replay and
 * client_replay name flow files; they are read here at start-up (workers
 * open no files), as -r is, and kept as decoded flows.  Every worker gets
 * every server replay flow right after its configuration (so each worker
 * pops from its own copy); the requests to send again (client_replay, then
 * the web interface's replays) go to worker 0 with a socket pair made here,
 * because a worker may create no Unix sockets.  The files are the user's
 * and the ui's flows are its word: only their shape is checked here (an
 * HTTP flow with a request that fits one frame); the worker checks the
 * rest.  Traffic is never parsed here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "coordinator/replayfiles.h"
#include "core/log.h"
#include "output/flowfile.h"

#define REPLAY_FRAME_ROOM (IPC_MAX_FRAME - 1024) /* envelope and seq */
/* What one list may hold in all: it is queued to a worker at once, and a
 * channel queues at most IPC_QUEUE_MAX bytes (worker 0 gets both lists). */
#define REPLAY_LIST_MAX (IPC_QUEUE_MAX / 3)

struct flow_list {
	Snare__Flow **v;
	size_t n;
	size_t bytes; /* packed, in all */
};

struct coord_replay {
	struct flow_list server, client;
	size_t client_next;		 /* client.v[client_next..] not sent yet */
	size_t client_sent, client_done; /* client_replay requests */
};

/* client_replay requests handed to worker 0 and not done yet, at most: each
 * holds a socket pair's two descriptors in the worker (outside its accept
 * budget) and in the channel while queued, so thousands at once would run
 * the worker out of descriptors.  More go as earlier ones are done. */
#define REPLAY_CLIENT_WINDOW 32

static struct coord_replay *rp_of(struct coord *co)
{
	if (co->replay == NULL)
		co->replay = xcalloc(1, sizeof(*co->replay));
	return co->replay;
}

static Snare__Flow *flow_copy(const Snare__Flow *f)
{
	size_t n = snare__flow__get_packed_size(f);
	uint8_t *p = xmalloc(n ? n : 1);
	Snare__Flow *c;

	snare__flow__pack(f, p);
	c = snare__flow__unpack(NULL, n, p);
	free(p);
	if (c == NULL)
		fatal("replay: out of memory");
	return c;
}

/* The shape ipc_validate.c asks of a replayed flow. */
static const char *shape_refusal(const Snare__Flow *f)
{
	if (f->has_type && f->type != SNARE__FLOW__TYPE__HTTP)
		return "Can only replay HTTP flows.";
	if (f->request == NULL)
		return "Can't replay flow with missing request.";
	if (f->id && strlen(f->id) > 64)
		return "Can't replay flow with an overlong id.";
	if (snare__flow__get_packed_size(f) > REPLAY_FRAME_ROOM)
		return "Can't replay flow larger than one worker message (256 KiB).";
	return NULL;
}

struct reader {
	struct coord_replay *rp;
	struct flow_list *to;
	bool client; /* say why a flow is left out (mitmproxy warns too) */
	bool full;   /* REPLAY_LIST_MAX reached: the rest is not read */
	const char *path;
};

static void read_one(const Snare__Flow *f, void *arg)
{
	struct reader *r = arg;
	const char *why = shape_refusal(f);
	size_t n;

	if (why != NULL) {
		if (r->client || f->request != NULL)
			log_warn("%s: flow %s: %s", r->path, f->id ? f->id : "?", why);
		return;
	}
	n = snare__flow__get_packed_size(f);
	if (r->full || r->to->bytes + n > REPLAY_LIST_MAX) {
		r->full = true;
		return;
	}
	r->to->bytes += n;
	r->to->v = xrealloc(r->to->v, (r->to->n + 1) * sizeof(*r->to->v));
	r->to->v[r->to->n++] = flow_copy(f);
}

static int read_list(struct coord_replay *rp, const struct strlist *l, bool client,
		     const char *option, char *err, size_t errlen)
{
	char why[512];
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct reader r = {.rp = rp,
				   .to = client ? &rp->client : &rp->server,
				   .client = client,
				   .path = l->v[i]};

		if (flowfile_read(l->v[i], read_one, &r, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", option, why);
			return -EINVAL;
		}
		if (r.full) {
			snprintf(err, errlen, "%s: %s: more than %u MiB of HTTP flows in all",
				 option, l->v[i], (unsigned)(REPLAY_LIST_MAX >> 20));
			return -EINVAL;
		}
	}
	return 0;
}

int coord_replay_load(struct coord *co, char *err, size_t errlen)
{
	const struct options *o = &co->cli->opts;
	struct coord_replay *rp;

	if (o->server_replay.n == 0 && o->client_replay.n == 0)
		return 0;
	rp = rp_of(co);
	if (read_list(rp, &o->server_replay, false, "server_replay", err, errlen) < 0 ||
	    read_list(rp, &o->client_replay, true, "client_replay", err, errlen) < 0) {
		coord_replay_free(co);
		return -EINVAL;
	}
	if (o->server_replay.n)
		log_info("Server replay: %zu flows loaded (every worker holds them all)",
			 rp->server.n);
	return 0;
}

size_t coord_replay_server_count(const struct coord *co)
{
	return co->replay ? co->replay->server.n : 0;
}

static int send_flow(struct coord_child *w, Snare__Flow *f, bool server, const int *fds)
{
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	Snare__ReplayFlow m = SNARE__REPLAY_FLOW__INIT;

	m.has_server = 1;
	m.server = server;
	m.flow = f;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_REPLAY;
	env.replay = &m;
	return ipc_chan_send(&w->chan, &env.base, fds, server ? 0 : 2);
}

void coord_replay_send_server(struct coord_child *w)
{
	struct coord_replay *rp = w->co->replay;
	size_t i;

	for (i = 0; rp && i < rp->server.n; i++)
		if (send_flow(w, rp->server.v[i], true, NULL) < 0) {
			log_warn("worker %u: cannot send the server replay flows", w->index);
			return;
		}
}

/* One request to send again, to worker 0 with a fresh socket pair. */
static int send_request(struct coord *co, Snare__Flow *f)
{
	struct coord_child *w = co->nworkers ? &co->workers[0] : NULL;
	int sp[2], rc;

	if (w == NULL || !w->chan_open || w->chan.state != IPC_ST_RUNNING)
		return -EAGAIN;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		return -errno;
	rc = send_flow(w, f, false, sp);
	close(sp[0]); /* sent: the worker holds its own copies */
	close(sp[1]);
	return rc;
}

void coord_replay_send_client(struct coord_child *w)
{
	struct coord_replay *rp = w->co->replay;

	if (rp == NULL || w->index != 0)
		return;
	while (rp->client_next < rp->client.n &&
	       rp->client_sent - rp->client_done < REPLAY_CLIENT_WINDOW) {
		Snare__Flow *f = rp->client.v[rp->client_next];

		if (send_request(w->co, f) < 0) {
			log_warn("client_replay: flow %s could not be handed to a worker",
				 f->id ? f->id : "?");
			break; /* worker 0 is not there: the rest when it is */
		}
		rp->client_sent++;
		/* Sent once: a restarted worker does not replay it again. */
		snare__flow__free_unpacked(f, NULL);
		rp->client.v[rp->client_next++] = NULL;
	}
}

void coord_replay_on_ui(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *c = ch->arg;
	Snare__Flow *fl = ((Snare__UiToCoord *)f->msg)->replay->flow;
	const char *why = shape_refusal(fl);
	int rc = why ? -EINVAL : send_request(c->co, fl);

	if (rc < 0)
		log_warn("replay of flow %s: %s", fl->id ? fl->id : "?",
			 why ? why : "no worker is running (start snare with its proxy servers)");
}

/* With -n (and no web interface) there is nothing left to serve once every
 * client_replay request is done: stop, as mitmdump does. */
void coord_replay_on_done(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;
	struct coord *co = w->co;
	struct coord_replay *rp = co->replay;

	if (rp == NULL || rp->client_sent == 0)
		return;
	rp->client_done += ((Snare__WorkerToCoord *)f->msg)->replay_done->count;
	if (rp->client_done > rp->client_sent)
		rp->client_done = rp->client_sent; /* web replays count too: never below 0 */
	coord_replay_send_client(w);		   /* the next ones, within the window */
	if (rp->client_done < rp->client_sent || rp->client_next < rp->client.n ||
	    co->cli->opts.server || co->cli->opts.web || co->stopping)
		return;
	log_info("Client replay finished.");
	coord_begin_stop(co, 0);
}

void coord_replay_free(struct coord *co)
{
	struct coord_replay *rp = co->replay;
	struct flow_list *l[2];

	if (rp == NULL)
		return;
	l[0] = &rp->server;
	l[1] = &rp->client;
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < l[k]->n; i++)
			if (l[k]->v[i]) /* client ones are freed as they are sent */
				snare__flow__free_unpacked(l[k]->v[i], NULL);
		free(l[k]->v);
	}
	free(rp);
	co->replay = NULL;
}
