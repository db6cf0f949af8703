/* Runs in the ui: browser connections.  Accepts on the socket the
 * coordinator opened, reads one HTTP/1.1 request at a time with snare's own
 * parser (daemon/http1/), checks the access rules, hands the request to the
 * API, and writes the answer without ever blocking.  Everything a browser
 * sends is untrusted and bounded: the head (UI_HEAD_MAX), the body
 * (UI_BODY_MAX, Content-Length only) and the number of connections. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"
#include "ui/ui_param.h"

static const struct {
	int code;
	const char *reason;
} reasons[] = {
    {101, "Switching Protocols"},
    {200, "OK"},
    {302, "Found"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {422, "Unprocessable Content"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

static const char *reason_of(int code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Unknown";
}

static void conn_interest(struct ui_conn *c)
{
	uint32_t ev = ui_out_pending(c) ? EPOLLOUT : 0;

	/* One request at a time: no reading while an answer is going out,
	 * except on a WebSocket (pushes and the page's frames are independent). */
	if (c->ws || ui_out_pending(c) == 0)
		ev |= EPOLLIN;
	if (loop_io_set(c->ui->loop, &c->io, ev) < 0)
		ui_conn_close(c);
}

size_t ui_out_pending(const struct ui_conn *c)
{
	return c->out_len - c->out_off;
}

void ui_out_append(struct ui_conn *c, const void *p, size_t n)
{
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n > c->out_cap) {
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		if (c->out_len + n > c->out_cap) {
			c->out_cap = (c->out_len + n) * 2;
			c->out = xrealloc(c->out, c->out_cap);
		}
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

static void stream_end(struct ui_conn *c)
{
	if (c->stream.ctx_free)
		c->stream.ctx_free(c->stream.ctx);
	free(c->stream.idx);
	memset(&c->stream, 0, sizeof(c->stream));
}

void ui_conn_close(struct ui_conn *c)
{
	struct ui *ui = c->ui;

	if (c->waiting)
		ui_hold_conn_closed(c);
	loop_io_del(ui->loop, &c->io);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ui->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ui->nconns--;
	if (c->ws)
		ws_parser_free(&c->wsp);
	stream_end(c);
	free(c->in);
	free(c->out);
	c->fd = -1;
	loop_defer_free(ui->loop, free, c);
}

/* What one send or recv result n means: 1 bytes moved, 0 try again at once
 * (EINTR), -EAGAIN wait for the socket, -EPIPE the connection is gone (and
 * was closed). */
static int io_result(struct ui_conn *c, ssize_t n)
{
	if (n > 0)
		return 1;
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	ui_conn_close(c);
	return -EPIPE;
}

/* Writes what the socket takes; refills a streamed answer; false when the
 * connection was closed. */
static bool conn_flush(struct ui_conn *c)
{
	for (;;) {
		while (ui_out_pending(c) > 0) {
			ssize_t n =
			    send(c->fd, c->out + c->out_off, ui_out_pending(c), MSG_NOSIGNAL);
			int k = io_result(c, n);

			if (k <= 0) {
				if (k == 0)
					continue;
				return k == -EAGAIN;
			}
			c->out_off += (size_t)n;
		}
		if (c->stream.fill == NULL)
			break;
		if (c->stream.fill(c->ui, c) != 0)
			stream_end(c);
	}
	if (c->ws)
		ui_ws_drained(c);
	if (c->close_after && ui_out_pending(c) == 0) {
		ui_conn_close(c);
		return false;
	}
	return true;
}

void ui_out_kick(struct ui_conn *c)
{
	if (conn_flush(c))
		conn_interest(c);
}

void ui_respond(struct ui_conn *c, int status, const char *ctype, const char *extra,
		const void *body, size_t len)
{
	char head[2048];
	int n;

	n = snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Content-Security-Policy: default-src 'self'; img-src 'self' data: blob:; "
	    "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'\r\n"
	    "%s%s\r\n",
	    status, reason_of(status), ctype, len, extra ? extra : "",
	    c->close_after ? "Connection: close\r\n" : "");
	ui_out_append(c, head, (size_t)n);
	if (len > 0)
		ui_out_append(c, body, len);
}

void ui_respond_text(struct ui_conn *c, int status, const char *text)
{
	ui_respond(c, status, "text/plain; charset=utf-8", NULL, text, strlen(text));
}

void ui_respond_json(struct ui_conn *c, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL) {
		ui_respond_text(c, 500, "cannot build the answer\n");
		return;
	}
	ui_respond(c, status, "application/json", NULL, s, strlen(s));
	free(s);
}

void ui_respond_error(struct ui_conn *c, int status, const char *msg)
{
	ui_respond_json(c, status, json_pack("{s:o}", "error", ui_json_str(msg)));
}

const char *ui_param(const struct ui_req *r, const char *name, char *out, size_t outlen)
{
	return ui_query_param(r->query, name, out, outlen);
}

static const char *hdr(const struct http1_head *h, const char *name)
{
	static char vals[6][4096];
	static unsigned next;
	const struct http1_header *x = http1_find(h, name);
	char *v;

	if (x == NULL || x->value.n >= sizeof(vals[0]))
		return NULL;
	v = vals[next++ % ARRAY_SIZE(vals)];
	memcpy(v, x->value.p, x->value.n);
	v[x->value.n] = '\0';
	return v;
}

/* Fills r from a parsed head; false for a target we do not serve. */
static bool req_fill(struct ui_req *r, const struct http1_head *h)
{
	const char *t = h->target.p, *q;
	size_t tn = h->target.n, pn;

	memset(r, 0, sizeof(*r));
	if (h->method.n >= sizeof(r->method) || tn == 0 || t[0] != '/')
		return false;
	memcpy(r->method, h->method.p, h->method.n);
	q = memchr(t, '?', tn);
	pn = q ? (size_t)(q - t) : tn;
	if (!ui_pct_decode(t, pn, r->path, sizeof(r->path), false))
		return false;
	if (q) {
		if (tn - pn - 1 >= sizeof(r->query))
			return false;
		memcpy(r->query, q + 1, tn - pn - 1);
	}
	r->host = hdr(h, "host");
	r->cookie = hdr(h, "cookie");
	r->csrf = hdr(h, "x-csrf-token");
	r->ws_key = hdr(h, "sec-websocket-key");
	r->upgrade = hdr(h, "upgrade");
	r->head = h;
	return true;
}

/* The access rules, then the API, which queues an answer. */
/* The access rules' verdict on a request whose head is in. */
static enum ui_access_verdict conn_access(struct ui_conn *c, const struct ui_req *r)
{
	char tok[UI_SECRET_HEX + 8];
	struct ui_access_req ar = {.method = r->method,
				   .path = r->path,
				   .token = ui_param(r, "token", tok, sizeof(tok)),
				   .host = r->host,
				   .cookie = r->cookie,
				   .csrf = r->csrf};

	return ui_access_check(&c->ui->access, &ar);
}

/* A refusal goes out as soon as the head is in, before any body is read,
 * and ends the connection. */
static void conn_refuse(struct ui_conn *c, enum ui_access_verdict v)
{
	char msg[160];

	c->close_after = true;
	snprintf(msg, sizeof(msg), "%s\n", ui_access_reason(v));
	ui_respond_text(c, 403, msg);
}

/* A request that passed the access rules (v: UI_ALLOW or UI_LOGIN). */
static void conn_serve(struct ui_conn *c, struct ui_req *r, enum ui_access_verdict v)
{
	struct ui *ui = c->ui;
	char sess[UI_SECRET_HEX + 1], extra[256];

	if (v == UI_LOGIN) {
		ui_access_new_session(&ui->access, sess);
		snprintf(extra, sizeof(extra),
			 "Location: /\r\nSet-Cookie: snare_web=%s; HttpOnly; SameSite=Strict; "
			 "Path=/\r\n",
			 sess);
		ui_respond(c, 302, "text/plain; charset=utf-8", extra, NULL, 0);
		return;
	}
	if (strcmp(r->path, "/ws") == 0 && strcmp(r->method, "GET") == 0) {
		ui_ws_upgrade(ui, c, r);
		return;
	}
	ui_api_dispatch(ui, c, r);
}

static void conn_bad(struct ui_conn *c, int status)
{
	c->close_after = true;
	ui_respond_text(c, status, status == 431 ? "request head too large\n" : "bad request\n");
}

/* One complete request at the start of c->in: 1 when one was handled,
 * 0 when more bytes are needed. */
static int conn_request(struct ui_conn *c)
{
	static struct http1_head h;
	struct http1_limits lim;
	enum ui_access_verdict v;
	struct ui_req r;
	size_t total;
	int rc;

	http1_limits_default(&lim);
	lim.max_head_bytes = UI_HEAD_MAX;
	rc = http1_parse_request(c->in, c->in_len, &lim, &h);
	if (rc == HTTP1_E_NEED_MORE)
		return c->in_len >= UI_HEAD_MAX ? (conn_bad(c, 431), 1) : 0;
	if (rc != HTTP1_OK) {
		conn_bad(c, rc == HTTP1_E_TOO_LARGE || rc == HTTP1_E_TOO_MANY ? 431 : 400);
		return 1;
	}
	if (!req_fill(&r, &h)) {
		conn_bad(c, 400);
		return 1;
	}
	if ((v = conn_access(c, &r)) != UI_ALLOW && v != UI_LOGIN) {
		conn_refuse(c, v);
		return 1;
	}
	if (h.body == HTTP1_BODY_CHUNKED || h.content_length > UI_BODY_MAX) {
		c->close_after = true;
		ui_respond_text(c, h.body == HTTP1_BODY_CHUNKED ? 411 : 413,
				"send a body with Content-Length, at most 64 MiB\n");
		return 1;
	}
	total = h.head_len + (h.body == HTTP1_BODY_LENGTH ? (size_t)h.content_length : 0);
	if (c->in_len < total)
		return 0;
	if (!h.keep_alive)
		c->close_after = true;
	r.body = c->in + h.head_len;
	r.body_len = total - h.head_len;
	conn_serve(c, &r, v);
	memmove(c->in, c->in + total, c->in_len - total);
	c->in_len -= total;
	return 1;
}

static bool conn_read(struct ui_conn *c)
{
	for (;;) {
		ssize_t n;
		int k;

		if (c->in_len == c->in_cap) {
			if (c->in_cap >= UI_HEAD_MAX + UI_BODY_MAX)
				return true; /* conn_request refuses it */
			c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
			c->in = xrealloc(c->in, c->in_cap);
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		k = io_result(c, n);
		if (k <= 0) {
			if (k == 0)
				continue;
			return k == -EAGAIN;
		}
		c->in_len += (size_t)n;
	}
}

/* The next buffered request once the previous answer is out (and not
 * waiting for the proxy); a page's WebSocket frames once upgraded.  False
 * when the connection was closed. */
static bool conn_next(struct ui_conn *c)
{
	if (!c->ws && ui_out_pending(c) == 0 && !c->close_after && c->stream.fill == NULL &&
	    !c->waiting)
		conn_request(c);
	if (c->ws) {
		ui_ws_input(c);
		if (c->fd < 0)
			return false;
	}
	return true;
}

static void conn_event(struct loop_io *io, uint32_t events)
{
	struct ui_conn *c = io->arg;

	if ((events & EPOLLOUT) && !conn_flush(c))
		return;
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !conn_read(c))
		return;
	if (!conn_next(c))
		return;
	ui_out_kick(c);
}

void ui_conn_accept(struct loop_io *io, uint32_t events)
{
	struct ui *ui = io->arg;
	int fd;

	while ((fd = accept4(ui->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct ui_conn *c;

		if (ui->nconns >= UI_CONNS_MAX) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->ui = ui;
		c->fd = fd;
		loop_io_init(&c->io, fd, conn_event, c);
		c->next = ui->conns;
		if (ui->conns)
			ui->conns->prev = c;
		ui->conns = c;
		ui->nconns++;
		conn_interest(c);
	}
}
