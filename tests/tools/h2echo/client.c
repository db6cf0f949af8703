/* h2echo client: sends N requests (GET, or POST with a generated body and maybe trailers) on
 * one connection, prints a line per response and exits 0 when every one got a 2xx. With
 * --reset it cancels each request as it sends it, as a Rapid Reset attack does. */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h2echo.h"
#include "core/unconst.h"

struct cstream {
	int status;
	size_t bytes, trailers;
	size_t body_left;
};

struct cconn {
	struct econn c;
	const struct client_opts *o;
	int done, ok;
};

static void send_body(struct cconn *cc, int32_t sid, struct cstream *st)
{
	static const uint8_t ps[16384] = {[0 ... 16383] = 'p'};
	struct h2_field t[] = {{"x-client-trailer", 16, "1", 1}};

	while (st->body_left) {
		size_t n = st->body_left < sizeof(ps) ? st->body_left : sizeof(ps);
		ssize_t k = h2_submit_data(cc->c.h2, sid, ps, n);

		if (k <= 0)
			return;
		st->body_left -= (size_t)k;
	}
	h2_submit_end(cc->c.h2, sid, t, cc->o->trailers ? 1 : 0);
}

static void on_head(void *o, int32_t sid, const struct h2_head *h, bool end)
{
	struct cconn *cc = o;
	struct cstream *st = h2_stream_get_data(cc->c.h2, sid);

	if (st && h->status >= 200)
		st->status = h->status;
}

static void on_data(void *o, int32_t sid, const uint8_t *p, size_t n)
{
	struct cconn *cc = o;
	struct cstream *st = h2_stream_get_data(cc->c.h2, sid);

	if (st)
		st->bytes += n;
	h2_consume(cc->c.h2, sid, n);
}

static void on_trailers(void *o, int32_t sid, const struct h2_field *f, size_t n)
{
	struct cconn *cc = o;
	struct cstream *st = h2_stream_get_data(cc->c.h2, sid);

	for (size_t i = 0; i < n; i++)
		printf("trailer %d %s: %s\n", sid, f[i].name, f[i].value);
	if (st)
		st->trailers += n;
}

static void on_send_space(void *o, int32_t sid)
{
	struct cconn *cc = o;
	struct cstream *st = h2_stream_get_data(cc->c.h2, sid);

	if (st)
		send_body(cc, sid, st);
}

static void on_close(void *o, int32_t sid, uint32_t code)
{
	struct cconn *cc = o;
	struct cstream *st = h2_stream_get_data(cc->c.h2, sid);

	if (!st)
		return;
	printf("stream %d status %d bytes %zu trailers %zu close %s\n", sid, st->status, st->bytes,
	       st->trailers, h2_error_name(code));
	cc->done++;
	if (code == H2_NO_ERROR && st->status >= 200 && st->status < 300)
		cc->ok++;
	free(st);
	if (cc->done == cc->o->requests)
		h2_submit_goaway(cc->c.h2, H2_NO_ERROR);
}

static void on_goaway(void *o, uint32_t code, int32_t last, bool by_peer)
{
	printf("goaway %s %s\n", by_peer ? "received" : "sent", h2_error_name(code));
}

static const struct h2_callbacks client_cbs = {
    .on_head = on_head,
    .on_data = on_data,
    .on_trailers = on_trailers,
    .on_close = on_close,
    .on_goaway = on_goaway,
    .on_send_space = on_send_space,
};

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void submit_all(struct cconn *cc)
{
	const struct client_opts *o = cc->o;
	struct h2_head h = {.method = o->post_bytes ? "POST" : "GET",
			    .scheme = cc->c.ssl ? "https" : "http",
			    .authority = o->authority,
			    .path = o->path};

	for (int i = 0; i < o->requests; i++) {
		struct cstream *st = calloc(1, sizeof(*st));
		int32_t sid = h2_submit_head(cc->c.h2, 0, &h, o->post_bytes == 0);

		if (sid <= 0) {
			free(st);
			continue;
		}
		h2_stream_set_data(cc->c.h2, sid, st);
		if (o->reset) {
			bool blocked;

			econn_flush(&cc->c, &blocked); /* the HEADERS first, or nothing is sent */
			h2_submit_reset(cc->c.h2, sid, H2_CANCEL);
		}
		st->body_left = o->post_bytes;
		if (o->post_bytes)
			send_body(cc, sid, st);
	}
}

int run_client(const struct client_opts *o, SSL_CTX *tls)
{
	struct cconn cc = {.o = o};
	bool blocked = false;

	cc.c.fd = connect_to(o->host, o->port);
	if (cc.c.fd < 0) {
		perror("h2echo: connect");
		return 1;
	}
	tcp_nodelay(cc.c.fd);
	if (tls) {
		cc.c.ssl = SSL_new(tls);
		SSL_set_fd(cc.c.ssl, cc.c.fd);
		SSL_set_tlsext_host_name(cc.c.ssl, unconst(o->host));
		if (tls_handshake(cc.c.ssl, false) != 0)
			return 1;
	} else if (fcntl_nonblock(cc.c.fd) != 0) {
		return 1;
	}
	cc.c.h2 = h2_new(H2_CLIENT, NULL, &client_cbs, &cc);
	submit_all(&cc);
	while (!cc.c.eof && !h2_done(cc.c.h2)) {
		struct pollfd pf = {.fd = cc.c.fd, .events = POLLIN | (blocked ? POLLOUT : 0)};

		if (econn_flush(&cc.c, &blocked) != 0)
			break;
		if (h2_done(cc.c.h2) || poll(&pf, 1, 20000) <= 0)
			break;
		if (pf.revents)
			econn_read(&cc.c);
	}
	econn_close(&cc.c);
	printf("done ok %d of %d\n", cc.ok, o->requests);
	return cc.ok == o->requests ? 0 : 1;
}
