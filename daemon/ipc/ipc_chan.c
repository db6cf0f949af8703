/* A non-blocking IPC endpoint on the event loop, in every snare process:
 * reads frames (bounded per wakeup) through ipc_decode with the channel's
 * current state, and sends through an outbound queue with water marks.
 * Trusts nothing from the peer; any violation ends the channel (on_close). */
#include "ipc/ipc.h"
#include "core/errf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IPC_FRAMES_PER_WAKEUP 64

struct ipc_queued {
	struct ipc_queued *next;
	uint8_t *buf;
	size_t len;
	int fds[IPC_MAX_FDS];
	size_t nfds;
};

/* One receive buffer per process: processes are single-threaded and a frame
 * is fully unpacked before the next read. */
static uint8_t ipc_rx_buf[IPC_MAX_FRAME];

static void ipc_queued_free(struct ipc_queued *q)
{
	size_t i;

	for (i = 0; i < q->nfds; i++)
		close(q->fds[i]);
	free(q->buf);
	free(q);
}

static bool ipc_chan_reading(const struct ipc_chan *c)
{
	return (c->io.events & EPOLLIN) != 0;
}

static void ipc_chan_interest(struct ipc_chan *c, bool reading)
{
	uint32_t ev = (reading ? EPOLLIN : 0) | (c->qhead != NULL ? EPOLLOUT : 0);
	int err = loop_io_set(c->loop, &c->io, ev);

	if (err < 0)
		fatal_err(err, "ipc: epoll_ctl");
}

/* Ends the channel once: no more events, and the owner hears why. */
static void ipc_chan_fail(struct ipc_chan *c, int err)
{
	if (c->closed)
		return;
	c->closed = true;
	loop_io_del(c->loop, &c->io);
	if (c->on_close != NULL)
		c->on_close(c, err);
}

void ipc_chan_handlers(struct ipc_chan *c, const struct ipc_handler *h, size_t n)
{
	c->handlers = h;
	c->nhandlers = n;
}

/* Hands f to its row of the handler table, or to on_frame: 0, or -EPROTO
 * when the receiver does not handle this message. */
static int ipc_chan_deliver(struct ipc_chan *c, struct ipc_frame *f)
{
	size_t i;

	if (c->handlers == NULL) {
		c->on_frame(c, f);
		return 0;
	}
	for (i = 0; i < c->nhandlers; i++)
		if (c->handlers[i].body_case == f->body_case) {
			c->handlers[i].fn(c, f);
			return 0;
		}
	return -EPROTO;
}

/* Reads up to IPC_FRAMES_PER_WAKEUP frames; the owner may change c->state,
 * pause reading or close the channel from on_frame. */
static void ipc_chan_read(struct ipc_chan *c)
{
	int fds[IPC_MAX_FDS];
	struct ipc_frame f;
	size_t nfds;
	int i, n;

	for (i = 0; i < IPC_FRAMES_PER_WAKEUP && !c->closed && ipc_chan_reading(c); i++) {
		n = ipc_recv_raw(c->io.fd, ipc_rx_buf, sizeof(ipc_rx_buf), fds, IPC_MAX_FDS, &nfds);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			ipc_chan_fail(c, n);
			return;
		}
		n = ipc_decode(c->rx, c->state, ipc_rx_buf, (size_t)n, fds, nfds, &f);
		if (n < 0) {
			ipc_chan_fail(c, n);
			return;
		}
		n = ipc_chan_deliver(c, &f);
		ipc_frame_free(&f);
		if (n < 0) {
			ipc_chan_fail(c, n);
			return;
		}
	}
}

static void ipc_chan_pop(struct ipc_chan *c)
{
	struct ipc_queued *q = c->qhead;

	c->qhead = q->next;
	if (c->qhead == NULL)
		c->qtail = NULL;
	c->queued -= q->len;
	ipc_queued_free(q);
}

/* Sends what the socket takes: 0, or a negative code for a dead channel. */
static int ipc_chan_flush(struct ipc_chan *c)
{
	int err;

	while (c->qhead != NULL) {
		err = ipc_send_raw(c->io.fd, c->qhead->buf, c->qhead->len, c->qhead->fds,
				   c->qhead->nfds);
		if (err == -EAGAIN)
			break;
		if (err < 0)
			return err;
		ipc_chan_pop(c);
	}
	ipc_chan_interest(c, ipc_chan_reading(c));
	if (c->congested && c->queued < IPC_LOW_WATER) {
		c->congested = false;
		if (c->on_drain != NULL)
			c->on_drain(c);
	}
	return 0;
}

static void ipc_chan_on_io(struct loop_io *io, uint32_t events)
{
	struct ipc_chan *c = io->arg;
	int err;

	if (c->qhead != NULL && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		err = ipc_chan_flush(c);
		if (err < 0) {
			ipc_chan_fail(c, err);
			return;
		}
	}
	if (c->closed)
		return;
	if (ipc_chan_reading(c)) {
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			ipc_chan_read(c);
	} else if ((events & (EPOLLERR | EPOLLHUP)) && c->qhead == NULL) {
		/* Paused and the peer is gone: park until reading resumes. */
		loop_io_del(c->loop, &c->io);
	}
}

/* The default send buffer (~208 KiB) is below IPC_MAX_FRAME, and a datagram
 * that does not fit fails with EMSGSIZE rather than EAGAIN.  Best effort: the
 * kernel caps the request at wmem_max (then doubles it). */
static void ipc_chan_size_sndbuf(int fd)
{
	int want = IPC_MAX_FRAME + 4096, have = 0;
	socklen_t len = sizeof(have);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len) == 0 && have < 2 * want)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

int ipc_chan_init(struct ipc_chan *c, struct loop *l, int fd, enum ipc_channel rx,
		  ipc_frame_fn on_frame, ipc_close_fn on_close, void *arg)
{
	int err;

	*c = (struct ipc_chan){.loop = l,
			       .rx = rx,
			       .state = IPC_ST_HELLO,
			       .on_frame = on_frame,
			       .on_close = on_close,
			       .arg = arg};
	loop_io_init(&c->io, fd, ipc_chan_on_io, c);
	err = ipc_channel_descriptor(rx) == NULL ? -EINVAL : fd_set_nonblock(fd);
	if (err == 0) {
		ipc_chan_size_sndbuf(fd);
		err = loop_io_set(l, &c->io, EPOLLIN);
	}
	if (err < 0) {
		c->io.fd = -1; /* still the caller's */
		c->closed = true;
	}
	return err;
}

/* Packs env into a new queue entry (fds not yet attached). */
static int ipc_chan_pack(struct ipc_chan *c, ProtobufCMessage *env, struct ipc_queued **out)
{
	struct ipc_queued *q;
	size_t len;

	if (ipc_env_seq(env) == 0)
		ipc_env_set_seq(env, ++c->seq);
	len = protobuf_c_message_get_packed_size(env);
	if (len > IPC_MAX_FRAME)
		return -EMSGSIZE;
	if (len == 0)
		return -EINVAL;
	q = xcalloc(1, sizeof(*q));
	q->buf = xmalloc(len);
	q->len = protobuf_c_message_pack(env, q->buf);
	*out = q;
	return 0;
}

/* Keeps the caller's fds: the queue holds duplicates. */
static int ipc_queued_dup_fds(struct ipc_queued *q, const int *fds, size_t nfds)
{
	for (q->nfds = 0; q->nfds < nfds; q->nfds++) {
		int fd = fcntl(fds[q->nfds], F_DUPFD_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		q->fds[q->nfds] = fd;
	}
	return 0;
}

static void ipc_chan_enqueue(struct ipc_chan *c, struct ipc_queued *q)
{
	if (c->qtail != NULL)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	c->queued += q->len;
	if (c->queued > IPC_HIGH_WATER)
		c->congested = true;
	ipc_chan_interest(c, ipc_chan_reading(c));
}

int ipc_chan_send(struct ipc_chan *c, ProtobufCMessage *env, const int *fds, size_t nfds)
{
	struct ipc_queued *q = NULL;
	int err;

	if (c->closed)
		return -EPIPE;
	if (nfds > IPC_MAX_FDS)
		return -EINVAL;
	err = ipc_chan_pack(c, env, &q);
	if (err < 0)
		goto out;
	if (c->qhead == NULL) {
		err = ipc_send_raw(c->io.fd, q->buf, q->len, fds, nfds);
		if (err != -EAGAIN)
			goto out;
	}
	if (c->queued + q->len > IPC_QUEUE_MAX) {
		err = -ENOBUFS;
		goto out;
	}
	err = ipc_queued_dup_fds(q, fds, nfds);
	if (err < 0)
		goto out;
	ipc_chan_enqueue(c, q);
	return 0;
out:
	if (q != NULL)
		ipc_queued_free(q);
	return err;
}

void ipc_chan_pause_reading(struct ipc_chan *c, bool paused)
{
	if (c->closed)
		return;
	ipc_chan_interest(c, !paused);
}

void ipc_chan_close(struct ipc_chan *c)
{
	if (c->io.fd >= 0) {
		loop_io_del(c->loop, &c->io);
		close(c->io.fd);
		c->io.fd = -1;
	}
	while (c->qhead != NULL)
		ipc_chan_pop(c);
	c->congested = false;
	c->closed = true;
}

void ipc_hello_fill(Snare__Hello *h)
{
	snare__hello__init(h);
	h->has_version = h->has_pid = 1;
	h->version = IPC_PROTOCOL_VERSION;
	h->pid = (uint32_t)getpid();
}
