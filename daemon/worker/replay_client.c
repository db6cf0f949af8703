/* Runs in a worker: client replay (`client_replay`, the web interface's
 * replay).  Each recorded request arrives from the coordinator with both
 * ends of a socket pair (a worker may create no Unix sockets).  The first
 * end becomes a client connection of the first regular or upstream mode
 * (a plain regular mode when there is none), as if a client had sent the
 * request in absolute form; the worker's own HTTP engine then connects to
 * the server (TLS for https), parses the answer and records the flow, which
 * carries is_replay = "request".  The second end is where the request is
 * written (then shut) and the answer read and dropped; its end of file
 * completes the replay, which the coordinator hears (ReplayDone).  The queue (daemon/replay) sends
 * client_replay_concurrency requests at once, one by default. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "core/log.h"
#include "replay/replay.h"
#include "worker/conn.h"
#include "worker/replay_worker.h"
#include "worker/worker_ctx.h"

struct fd_pair {
	int conn_fd, peer_fd;
};

struct sending {
	struct sending *next;
	Snare__Flow *f; /* owned by the queue until replay_client_done */
	int peer_fd;
	struct loop_io io;
	uint8_t *wire;
	size_t len, off;
};

static struct {
	struct replay_client *q;
	struct fd_pair *fds; /* one per queued flow, same order */
	size_t nfds, headfd;
	struct sending *active;
	struct worker_listener l; /* the mode replays come through */
	bool have_mode;
} cl;

static void start_next(void);

/* Tells the coordinator that one request to send again is done. */
static void report_done(void)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__ReplayDone m = SNARE__REPLAY_DONE__INIT;

	m.has_count = 1;
	m.count = 1;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_REPLAY_DONE;
	env.replay_done = &m;
	if (ipc_chan_send(&wk->coord, &env.base, NULL, 0) < 0)
		log_debug("cannot report a finished replay to the coordinator");
}

/* The first regular or upstream mode, else a regular mode of our own
 * (appended after wk->modes, which keeps its count). */
static void pick_mode(void)
{
	char err[256];
	size_t i;

	cl.have_mode = true;
	cl.l.fd = -1;
	for (i = 0; i < wk->nmodes; i++)
		if (wk->modes[i].kind == MODE_REGULAR || wk->modes[i].kind == MODE_UPSTREAM) {
			cl.l.mode_index = (unsigned)i;
			return;
		}
	wk->modes = xrealloc(wk->modes, (wk->nmodes + 1) * sizeof(*wk->modes));
	memset(&wk->modes[wk->nmodes], 0, sizeof(*wk->modes));
	if (modespec_parse("regular", &wk->modes[wk->nmodes], err, sizeof(err)) < 0)
		fatal("replay: %s", err);
	cl.l.mode_index = (unsigned)wk->nmodes;
}

static void finish(struct sending *s)
{
	struct sending **pp;

	loop_io_del(wk->loop, &s->io);
	close(s->peer_fd);
	for (pp = &cl.active; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	replay_client_done(cl.q, s->f);
	free(s->wire);
	free(s);
	report_done();
	start_next();
}

static void on_peer(struct loop_io *io, uint32_t events)
{
	struct sending *s = io->arg;
	uint8_t drop[16384];
	ssize_t n;

	while (s->off < s->len) {
		n = write(s->peer_fd, s->wire + s->off, s->len - s->off);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			finish(s);
			return;
		}
		s->off += (size_t)n;
		if (s->off == s->len) {
			shutdown(s->peer_fd, SHUT_WR);
			(void)loop_io_set(wk->loop, &s->io, EPOLLIN);
		}
	}
	while ((n = read(s->peer_fd, drop, sizeof(drop))) > 0)
		;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		finish(s);
}

/* The connection the worker serves the request on. */
static bool open_conn(struct sending *s, int conn_fd)
{
	union sockaddr_any peer;
	const Snare__HttpRequest *rq = s->f->request;
	struct conn *c;

	memset(&peer, 0, sizeof(peer));
	peer.in4.sin_family = AF_INET;
	peer.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conn_accept(&cl.l, conn_fd, &peer, NULL);
	c = wk->conns;
	if (c == NULL || c->client.fd != conn_fd || c->freed)
		return false;
	c->replay_mark = "request";
	c->authed = true;
	if (rq->scheme && strcmp(rq->scheme, "https") == 0) {
		c->server_tls = true;
		conn_set_str(&c->tls_sni, rq->host);
	}
	return true;
}

static void start_one(Snare__Flow *f, struct fd_pair p)
{
	struct sending *s = xcalloc(1, sizeof(*s));
	int rc = replay_request_wire(f->request, true, &s->wire, &s->len);

	s->f = f;
	s->peer_fd = p.peer_fd;
	loop_io_init(&s->io, s->peer_fd, on_peer, s);
	s->next = cl.active;
	cl.active = s;
	if (rc < 0) {
		log_warn("replay of flow %s: the request cannot be sent again (%s)",
			 f->id ? f->id : "?", strerror(-rc));
		close(p.conn_fd);
		finish(s);
		return;
	}
	if (!open_conn(s, p.conn_fd) || loop_io_set(wk->loop, &s->io, EPOLLIN | EPOLLOUT) < 0)
		finish(s);
}

static void start_next(void)
{
	Snare__Flow *f;

	while (cl.q && (f = replay_client_next(cl.q)) != NULL) {
		struct fd_pair p = cl.fds[cl.headfd++];

		if (cl.headfd == cl.nfds)
			cl.headfd = cl.nfds = 0;
		start_one(f, p);
	}
}

void replay_client_queue(const Snare__Flow *f, int conn_fd, int peer_fd)
{
	char err[256];
	int c = wk->opts.client_replay_concurrency;

	if (!cl.have_mode)
		pick_mode();
	if (cl.q == NULL)
		cl.q = replay_client_new(c <= 0 ? 0 : (unsigned)c);
	if (replay_client_add(cl.q, f, err, sizeof(err)) < 0) {
		log_warn("%s", err);
		close(conn_fd);
		close(peer_fd);
		report_done();
		return;
	}
	if (cl.headfd > 0 && cl.headfd == cl.nfds)
		cl.headfd = cl.nfds = 0;
	cl.fds = xrealloc(cl.fds, (cl.nfds + 1) * sizeof(*cl.fds));
	cl.fds[cl.nfds++] = (struct fd_pair){conn_fd, peer_fd};
	if (wk->running)
		start_next();
}

/* Called when the worker starts serving: requests queued before go out. */
void replay_client_start(void)
{
	start_next();
}
