/* Runs in a worker.  A stream is one socket, plain or TLS; OpenSSL reads and
 * writes ciphertext through a BIO over the stream's own buffers, so bytes
 * already read (a peeked ClientHello) can be handed to it and all socket I/O
 * stays in one place.  Buffers are bounded: a full buffer stops reading,
 * which stops the peer (back-pressure).  Idle streams give their memory back. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/buffer.h>
#include <openssl/err.h>

#include "netstack/netstack.h"
#include "core/unconst.h"
#include "worker/conn.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

static void stream_on_io(struct loop_io *io, uint32_t events)
{
	struct stream *s = io->arg;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		s->rd_ready = true;
	if (s->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		/* EPOLLOUT alone is a connect that succeeded: no getsockopt. */
		if (events & (EPOLLERR | EPOLLHUP))
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		s->connecting = false;
		if (soerr)
			stream_fail(s, "%s", strerror(soerr));
	}
	conn_pump(s->conn);
}

/* Socket descriptors open in streams (client and server sides, pooled ones
 * too; netstack streams have none): the accept budget (accepting.c). */
static size_t stream_nfds;

size_t stream_fds_open(void)
{
	return stream_nfds;
}

void stream_init(struct stream *s, struct conn *c, int fd)
{
	if (fd >= 0)
		stream_nfds++;
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->conn = c;
	s->err = "";
	s->rd_ready = true; /* one try before epoll has said anything */
	loop_io_init(&s->io, fd, stream_on_io, s);
	buf_init(&s->in, STREAM_BUF_MAX);
	buf_init(&s->out, STREAM_BUF_MAX);
	buf_init(&s->rxc, STREAM_BUF_MAX);
	buf_init(&s->txc, STREAM_TXC_MAX);
}

/* The BIO and the epoll registration point at the struct: both follow it.
 * The next loop_io_set() re-registers (MOD) with the new address. */
void stream_move(struct stream *dst, struct stream *src, struct conn *c)
{
	uint32_t events = src->io.events;

	*dst = *src;
	dst->conn = c;
	dst->io.arg = dst;
	dst->io.fn = stream_on_io;
	dst->io.events = 0;
	dst->rd_ready = false; /* epoll (level-triggered) says when there is more */
	/* epoll must point at dst now, not later: src may be freed (a pool
	 * entry, deferred to the end of this loop pass) before anything sets
	 * dst's interest, and a readable socket would then hand the loop a
	 * freed loop_io.  The same interest, re-registered with dst. */
	if (dst->io.added && loop_io_set(wk->loop, &dst->io, events ? events : EPOLLIN) < 0)
		loop_io_del(wk->loop, &dst->io);
	if (dst->rbio && dst->outer.ssl == NULL)
		BIO_set_data(dst->rbio, dst);
	stream_init(src, src->conn, -1);
}

static void stream_ns_readable(void *arg)
{
	struct stream *s = arg;

	conn_pump(s->conn);
}

static void stream_ns_closed(void *arg, int err)
{
	struct stream *s = arg;

	if (err < 0)
		stream_fail(s, "%s", strerror(-err));
	else
		s->rd_eof = true;
	conn_pump(s->conn);
}

/* A stream over a netstack connection (tun, wireguard, local modes).  fd is
 * a placeholder (>= 0 means open) that is never used for I/O. */
void stream_init_ns(struct stream *s, struct conn *c, struct ns_tcp *t)
{
	static const struct ns_tcp_callbacks cb = {stream_ns_readable, stream_ns_readable,
						   stream_ns_closed};

	stream_init(s, c, -1);
	s->ns = t;
	s->fd = INT32_MAX;
	ns_tcp_set_callbacks(t, &cb, s);
}

/* The message lives on the heap only while there is one: most streams never
 * fail, and an idle connection should not carry two empty message buffers. */
static void stream_vset_err(struct stream *s, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (s->err[0] != '\0')
		free(unconst(s->err));
	s->err = msg[0] ? xstrdup(msg) : "";
}

void stream_set_err(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stream_vset_err(s, fmt, ap);
	va_end(ap);
}

void stream_fail(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	stream_vset_err(s, fmt, ap);
	va_end(ap);
}

/* ---- the socket-side BIO: ciphertext in s->rxc, out to s->txc ---- */

static int stream_bio_read(BIO *b, char *out, size_t n, size_t *got)
{
	struct stream *s = BIO_get_data(b);
	size_t len = buf_len(&s->rxc);

	BIO_clear_retry_flags(b);
	*got = 0;
	if (len == 0) {
		if (!s->rd_eof)
			BIO_set_retry_read(b);
		return 0;
	}
	if (len > n)
		len = n;
	memcpy(out, buf_ptr(&s->rxc), len);
	buf_consume(&s->rxc, len);
	*got = len;
	return 1;
}

/* Accepts what fits under STREAM_TXC_MAX; OpenSSL keeps the rest of a record
 * and retries (SSL_ERROR_WANT_WRITE) once the socket took some. */
static int stream_bio_write(BIO *b, const char *p, size_t n, size_t *done)
{
	struct stream *s = BIO_get_data(b);
	size_t room = buf_room(&s->txc);

	BIO_clear_retry_flags(b);
	*done = 0;
	if (room == 0) {
		BIO_set_retry_write(b);
		return 0;
	}
	if (n > room)
		n = room;
	if (buf_append(&s->txc, p, n) < 0) {
		BIO_set_retry_write(b);
		return 0;
	}
	*done = n;
	return 1;
}

static long stream_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	const struct stream *s = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return (long)buf_len(&s->rxc);
	case BIO_CTRL_EOF:
		return s->rd_eof && buf_len(&s->rxc) == 0;
	default:
		return 0;
	}
}

/* One BIO for both directions of the socket-facing TLS layer: no memory BIO
 * pair (two BIOs, two BUF_MEMs) per TLS session, and one copy less per byte. */
static BIO *stream_bio_new(struct stream *s)
{
	static BIO_METHOD *meth;
	BIO *b;

	if (meth == NULL) {
		meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "snare stream");
		if (meth == NULL || BIO_meth_set_read_ex(meth, stream_bio_read) != 1 ||
		    BIO_meth_set_write_ex(meth, stream_bio_write) != 1 ||
		    BIO_meth_set_ctrl(meth, stream_bio_ctrl) != 1) {
			BIO_meth_free(meth);
			meth = NULL;
			return NULL;
		}
	}
	b = BIO_new(meth);
	if (b != NULL) {
		BIO_set_data(b, s);
		BIO_set_init(b, 1);
	}
	return b;
}

/* Memory BIOs for an inner TLS layer (TLS inside TLS): the outer layer's
 * plaintext is their ciphertext.  0 or -ENOMEM. */
static int stream_bio_pair(struct stream *s)
{
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());

	if (r == NULL || w == NULL) {
		BIO_free(r);
		BIO_free(w);
		return -ENOMEM;
	}
	BIO_set_mem_eof_return(r, -1);
	SSL_set_bio(s->ssl, r, w);
	s->rbio = r;
	s->wbio = w;
	return 0;
}

int stream_tls_start(struct stream *s, SSL_CTX *ctx, bool client, const char *sni)
{
	BIO *b = NULL;

	if (s->ssl && s->tls_done && s->outer.ssl == NULL) {
		/* TLS inside TLS (a CONNECT through a secure web proxy): the
		 * current session becomes the outer layer. */
		s->outer.ssl = s->ssl;
		s->outer.rbio = s->rbio;
		s->outer.wbio = s->wbio;
		s->ssl = NULL;
		s->tls_done = false;
	} else if (s->ssl) {
		return -EALREADY;
	}
	s->ssl = SSL_new(ctx);
	if (s->ssl == NULL)
		return -ENOMEM;
	if (s->outer.ssl) {
		if (stream_bio_pair(s) < 0)
			return -ENOMEM;
	} else {
		if ((b = stream_bio_new(s)) == NULL)
			return -ENOMEM;
		SSL_set_bio(s->ssl, b, b); /* takes the one reference */
		s->rbio = s->wbio = b;
	}
	s->tls_client = client;
	if (client) {
		SSL_set_connect_state(s->ssl);
		if (sni && *sni)
			SSL_set_tlsext_host_name(s->ssl, unconst(sni));
	} else {
		SSL_set_accept_state(s->ssl);
	}
	if (buf_len(&s->in) > 0 && s->outer.ssl) { /* the peeked bytes are ciphertext */
		BIO_write(s->rbio, buf_ptr(&s->in), (int)buf_len(&s->in));
		buf_reset(&s->in);
	} else if (buf_len(&s->in) > 0) {
		struct buf peeked = s->in;

		s->in = s->rxc; /* empty: no TLS layer read into it yet */
		s->rxc = peeked;
	}
	return 0;
}

/* One read from the transport: a kernel socket or a netstack connection.
 * Returns bytes, 0 at EOF, or -1 with errno (EAGAIN: nothing now). */
static ssize_t stream_recv(struct stream *s, uint8_t *p, size_t n)
{
	ssize_t r;

	if (s->ns == NULL)
		return recv(s->fd, p, n, 0);
	r = ns_tcp_recv(s->ns, p, n);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static ssize_t stream_send(struct stream *s, const uint8_t *p, size_t n)
{
	ssize_t r;

	if (s->ns == NULL)
		return send(s->fd, p, n, MSG_NOSIGNAL);
	r = ns_tcp_send(s->ns, p, n);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* Outer layer, reading: its plaintext is the inner layer's ciphertext. */
static void stream_outer_read(struct stream *s, bool *progress)
{
	uint8_t tmp[16384];
	size_t got;

	while (BIO_ctrl_pending(s->rbio) < STREAM_BUF_MAX) {
		if (SSL_read_ex(s->outer.ssl, tmp, sizeof(tmp), &got) != 1) {
			int r = SSL_get_error(s->outer.ssl, 0);

			if (r == SSL_ERROR_ZERO_RETURN || (r == SSL_ERROR_SYSCALL && s->rd_eof))
				BIO_set_mem_eof_return(s->rbio, 0);
			else if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
				stream_fail(s, "TLS read (outer layer) failed");
			ERR_clear_error();
			return;
		}
		BIO_write(s->rbio, tmp, (int)got);
		*progress = true;
	}
}

/* Outer layer, writing: the inner layer's ciphertext is its plaintext.  One
 * record (at most 16 KiB plus its overhead) is written only when txc has room
 * for all of it, so the write cannot stop half way. */
static void stream_outer_write(struct stream *s, bool *progress)
{
	uint8_t tmp[16384];
	size_t done;
	int n;

	while (BIO_ctrl_pending(s->wbio) > 0 && buf_room(&s->txc) >= sizeof(tmp) + 1024) {
		n = BIO_read(s->wbio, tmp, sizeof(tmp));
		if (n <= 0)
			return;
		if (SSL_write_ex(s->outer.ssl, tmp, (size_t)n, &done) != 1 || done != (size_t)n) {
			stream_fail(s, "TLS write (outer layer) failed");
			ERR_clear_error();
			return;
		}
		*progress = true;
	}
}

/* Socket -> (rxc | in): ciphertext for OpenSSL or plaintext for the layer.
 * Every read and write that moves bytes stamps the connection's idle clock.
 * A kernel socket is read only when epoll said so since it was last found
 * drained: no recv() that can only say EAGAIN (epoll is level-triggered, so
 * nothing that arrives is missed). */
static void stream_read_sock(struct stream *s, bool *progress)
{
	struct buf *b = s->ssl ? &s->rxc : &s->in;
	uint8_t tmp[16384];
	size_t room;
	ssize_t n;

	while (!s->rd_eof && (s->ns != NULL || s->rd_ready)) {
		room = buf_room(b);
		if (room == 0)
			return;
		if (room > sizeof(tmp))
			room = sizeof(tmp);
		n = stream_recv(s, tmp, room);
		if (n < 0) {
			if (errno == EAGAIN)
				s->rd_ready = false;
			else if (errno != EINTR)
				stream_fail(s, "%s", strerror(errno));
			return;
		}
		*progress = true;
		s->moved = true;
		conn_touch(s->conn);
		if (n == 0) { /* the socket-side BIO now reports EOF once rxc is read */
			s->rd_eof = true;
			return;
		}
		if (buf_append(b, tmp, (size_t)n) < 0)
			return;
		if ((size_t)n < room) { /* drained: epoll says when there is more */
			s->rd_ready = false;
			return;
		}
	}
}

static void stream_tls_error(struct stream *s, const char *what)
{
	char e[120];
	unsigned long code = ERR_get_error();

	if (code)
		ERR_error_string_n(code, e, sizeof(e));
	else
		snprintf(e, sizeof(e), "%s", s->rd_eof ? "connection closed" : "TLS error");
	ERR_clear_error();
	stream_fail(s, "%s: %s", what, e);
}

/* Whether SSL_read could return anything.  It is not called in vain: with
 * SSL_MODE_RELEASE_BUFFERS, a read that finds no ciphertext still allocates
 * a 17 KiB record buffer and keeps it while the connection idles.  EOF must
 * still be read (rd_eof); an inner layer's EOF comes from its outer one.  A
 * read that stopped on a full txc (a KeyUpdate answer) is finished by one. */
static bool stream_tls_readable(const struct stream *s)
{
	return s->rd_eof || s->outer.ssl != NULL || buf_len(&s->rxc) > 0 ||
	       SSL_has_pending(s->ssl) || SSL_want_write(s->ssl);
}

/* rbio -> SSL_read -> in. */
static void stream_tls_read(struct stream *s, bool *progress)
{
	size_t room, got;
	uint8_t *p;
	int r;

	while (s->tls_done && !s->failed && stream_tls_readable(s)) {
		room = buf_room(&s->in);
		if (room == 0)
			return;
		p = buf_reserve(&s->in, &room);
		r = SSL_read_ex(s->ssl, p, room, &got);
		if (r == 1) {
			buf_commit(&s->in, got);
			*progress = true;
			continue;
		}
		r = SSL_get_error(s->ssl, 0);
		if (r == SSL_ERROR_ZERO_RETURN) {
			if (!s->rd_eof)
				*progress = true;
			s->rd_eof = true;
		} else if (r == SSL_ERROR_SYSCALL && s->rd_eof) {
			ERR_clear_error(); /* EOF without close_notify: treat as EOF */
		} else if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE) {
			stream_tls_error(s, "TLS read");
		}
		return;
	}
}

static void stream_handshake(struct stream *s, bool *progress)
{
	int r = SSL_do_handshake(s->ssl);

	if (r == 1) {
		s->tls_done = true;
		s->ts_tls = clock_wall();
		*progress = true;
		return;
	}
	r = SSL_get_error(s->ssl, r);
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
		if (s->rd_eof)
			stream_fail(s, "connection closed during the TLS handshake");
		return;
	}
	stream_tls_error(s, "TLS handshake");
}

/* Whether the innermost layer may produce more ciphertext now. */
static bool stream_tls_room(const struct stream *s)
{
	if (s->outer.ssl)
		return BIO_ctrl_pending(s->wbio) < STREAM_TXC_MAX;
	return buf_room(&s->txc) > 0;
}

/* out -> SSL_write -> txc (through the outer layer when there is one). */
static void stream_tls_write(struct stream *s, bool *progress)
{
	size_t done;

	while (s->tls_done && buf_len(&s->out) > 0 && stream_tls_room(s)) {
		if (SSL_write_ex(s->ssl, buf_ptr(&s->out), buf_len(&s->out), &done) != 1) {
			int r = SSL_get_error(s->ssl, 0);

			if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
				stream_tls_error(s, "TLS write");
			break;
		}
		buf_consume(&s->out, done);
		*progress = true;
	}
	if (s->outer.ssl)
		stream_outer_write(s, progress);
}

static void stream_write_sock(struct stream *s, struct buf *b, bool *progress)
{
	ssize_t n;

	while (buf_len(b) > 0) {
		n = stream_send(s, buf_ptr(b), buf_len(b));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				stream_fail(s, "%s", strerror(errno));
			return;
		}
		buf_consume(b, (size_t)n);
		*progress = true;
		s->moved = true;
		conn_touch(s->conn);
	}
}

static void stream_shutdown(struct stream *s, bool *progress)
{
	if (!s->shut_req || s->shut_done || !stream_flushed(s))
		return;
	/* TLS has no half-close in practice: a close_notify makes most peers
	 * drop the connection, answers included.  The peer's own close ends it. */
	if (s->ssl) {
		s->shut_done = true;
		return;
	}
	if (s->ns)
		ns_tcp_shutdown_write(s->ns);
	else
		shutdown(s->fd, SHUT_WR);
	s->shut_done = true;
	*progress = true;
}

void stream_io(struct stream *s, bool *progress)
{
	if (s->fd < 0 || s->failed || s->connecting)
		return;
	if (s->ssl) {
		stream_tls_write(s, progress);
		stream_write_sock(s, &s->txc, progress);
		stream_read_sock(s, progress);
		if (s->outer.ssl)
			stream_outer_read(s, progress);
		if (!s->tls_done)
			stream_handshake(s, progress);
		stream_tls_read(s, progress);
		stream_tls_write(s, progress);
		stream_write_sock(s, &s->txc, progress);
	} else {
		stream_write_sock(s, &s->out, progress);
		stream_read_sock(s, progress);
	}
	stream_shutdown(s, progress);
}

bool stream_flushed(const struct stream *s)
{
	if (buf_len(&s->out) > 0 || buf_len(&s->txc) > 0)
		return false;
	if (s->ssl && SSL_want_write(s->ssl)) /* a record OpenSSL could not hand over yet */
		return false;
	return s->outer.ssl == NULL || BIO_ctrl_pending(s->wbio) == 0;
}

void stream_interest(struct stream *s)
{
	uint32_t ev = 0;

	if (s->fd < 0 || s->failed || s->ns) /* netstack streams call back instead */
		return;
	if (s->connecting) {
		ev = EPOLLOUT;
	} else {
		bool in_room = buf_room(s->ssl ? &s->rxc : &s->in) > 0;

		if (!s->rd_eof && in_room)
			ev |= EPOLLIN | EPOLLRDHUP;
		if (!stream_flushed(s))
			ev |= EPOLLOUT;
	}
	if (loop_io_set(wk->loop, &s->io, ev) < 0)
		stream_fail(s, "epoll: %s", strerror(errno));
}

/* An empty memory BIO (inner TLS layer) keeps the largest buffer it ever
 * held (a handshake flight, a 16 KiB record): swap in an empty one.
 * BIO_set_mem_buf frees the old buffer and keeps the BIO's EOF behaviour. */
static void stream_bio_trim(BIO *b)
{
	BUF_MEM *bm = NULL, *fresh;

	if (b == NULL || BIO_ctrl_pending(b) > 0 || BIO_get_mem_ptr(b, &bm) != 1 || bm == NULL ||
	    bm->max == 0)
		return;
	fresh = BUF_MEM_new();
	if (fresh != NULL)
		BIO_set_mem_buf(b, fresh, BIO_CLOSE);
}

/* Pumps that moved bytes after which a stream counts as busy: a
 * connection that carries one exchange and idles (most browser
 * connections, bench r4) never gets there and gives its buffers back after
 * every pump, so that no buffer of its sits in the heap between other
 * connections' lasting allocations (freed later, such buffers leave holes
 * that cost more memory per idle connection than they hold: 49.9 against
 * 32.3 KiB in docs/performance.md, section e).  A keep-alive connection in
 * use gets there after a few requests and stops freeing and allocating its
 * buffers and OpenSSL's record buffers for every request. */
#define STREAM_WARM_PUMPS 16

/* The empty buffers back to the heap; the busy count stays. */
static void stream_trim_buffers(struct stream *s)
{
	if (buf_len(&s->in) == 0)
		buf_free(&s->in);
	if (buf_len(&s->out) == 0)
		buf_free(&s->out);
	if (buf_len(&s->rxc) == 0)
		buf_free(&s->rxc);
	if (buf_len(&s->txc) == 0)
		buf_free(&s->txc);
	if (s->ssl != NULL)
		SSL_free_buffers(s->ssl); /* no-op unless a record buffer is empty */
	if (s->outer.ssl != NULL) {
		SSL_free_buffers(s->outer.ssl);
		stream_bio_trim(s->rbio);
		stream_bio_trim(s->wbio);
	}
}

void stream_trim(struct stream *s)
{
	stream_trim_buffers(s);
	if (s->warm > STREAM_WARM_PUMPS && s->ssl != NULL)
		SSL_set_mode(s->ssl, SSL_MODE_RELEASE_BUFFERS); /* as the context has it */
	s->warm = 0;
	s->moved = false;
}

bool stream_trim_pump(struct stream *s)
{
	if (s->moved && s->warm < UINT8_MAX)
		s->warm++;
	s->moved = false;
	if (s->warm < STREAM_WARM_PUMPS || s->fd < 0 || s->outer.ssl != NULL) {
		stream_trim_buffers(s);
		return false;
	}
	if (s->warm == STREAM_WARM_PUMPS) { /* busy from now on */
		if (s->ssl != NULL)	    /* OpenSSL keeps its record buffers too */
			SSL_clear_mode(s->ssl, SSL_MODE_RELEASE_BUFFERS);
		s->warm++;
	}
	return true;
}

bool stream_keeps_buffers(const struct stream *s)
{
	return s->warm > STREAM_WARM_PUMPS;
}

void stream_close(struct stream *s)
{
	if (s->ns) {
		ns_tcp_close(s->ns);
		s->ns = NULL;
		s->fd = -1;
	}
	if (s->fd >= 0) {
		/* close() takes the descriptor out of the epoll set (no dup()
		 * of it exists): no EPOLL_CTL_DEL first. */
		s->io.added = false;
		s->io.events = 0;
		close(s->fd);
		s->fd = -1;
		stream_nfds--;
	}
	if (s->ssl) {
		SSL_free(s->ssl); /* frees its BIOs */
		s->ssl = NULL;
		s->rbio = s->wbio = NULL;
	}
	if (s->outer.ssl) {
		SSL_free(s->outer.ssl);
		memset(&s->outer, 0, sizeof(s->outer));
	}
	if (s->err[0] != '\0')
		free(unconst(s->err));
	s->err = "";
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->rxc);
	buf_free(&s->txc);
}
