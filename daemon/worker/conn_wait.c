/* Runs in a worker: header_timeout and the list of connections waiting for
 * their client.  A connection waits while snare cannot go on before the
 * client finishes something (a request head, a SOCKS5 handshake, the TLS
 * handshake with snare, a tunnel's first bytes); the deadline starts when
 * the wait does and is not moved by bytes that trickle in.  The waiting
 * connections are listed oldest wait first, for a worker at its connection
 * limit to reclaim one (accepting.c).  Trusts nothing the client sends: only
 * states and buffer lengths are looked at. */
#include <stdio.h>

#include "core/log.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/conn_wait.h"
#include "core/dlist.h"
#include "worker/layer.h"
#include "worker/worker_ctx.h"

/* header_timeout: the states in which snare waits for the client to finish
 * something before anything can go on (a request head, a SOCKS5 handshake,
 * a TLS handshake, a tunnel's first bytes), and what that is, for the log.
 * The deadline is not moved by bytes that trickle in. */
static const char *const head_waits[] = {
    [CS_CLIENT_HEAD] = "request head", [CS_PROXY_HELLO] = "request head",
    [CS_SOCKS] = "SOCKS5 handshake",   [CS_TUNNEL_DETECT] = "first bytes of the tunnel",
    [CS_CLIENT_TLS] = "TLS handshake", [CS_DNS_TCP] = NULL,
};

static const char *conn_head_wait(enum conn_state st)
{
	return (size_t)st < ARRAY_SIZE(head_waits) ? head_waits[st] : NULL;
}

/* One wait that goes on in another state keeps its deadline: the head
 * after the TLS handshake it follows, or after a tunnel's first bytes; a
 * ClientHello to snare itself where the head was expected. */
static bool conn_head_continues(enum conn_state from, enum conn_state to)
{
	return from == to ||
	       (to == CS_CLIENT_HEAD && (from == CS_CLIENT_TLS || from == CS_TUNNEL_DETECT)) ||
	       (to == CS_PROXY_HELLO && from == CS_CLIENT_HEAD);
}

/* The connections waiting for their client, oldest wait first: the ones a
 * worker at its connection limit closes to make room (conn_evict_waiting). */
static struct conn *wait_first, *wait_last;

static void conn_wait_end(struct conn *c)
{
	if (!c->waiting)
		return;
	DLIST_UNLINK(wait_first, wait_last, c, wait_prev, wait_next);
	c->wait_prev = c->wait_next = NULL;
	c->waiting = false;
}

static void conn_wait_begin(struct conn *c)
{
	conn_wait_end(c);
	c->wait_since = loop_now(wk->loop);
	DLIST_APPEND(wait_first, wait_last, c, wait_prev, wait_next);
	c->waiting = true;
}

void conn_wait_state(struct conn *c, enum conn_state from, enum conn_state to)
{
	uint64_t ms = (uint64_t)wk->opts.header_timeout * 1000;

	if (conn_head_wait(to) == NULL) {
		loop_timer_cancel(wk->loop, &c->head_timer);
		conn_wait_end(c);
		return;
	}
	if (c->waiting && conn_head_continues(from, to))
		return;
	conn_wait_begin(c);
	if (ms > 0)
		loop_timer_arm(wk->loop, &c->head_timer, ms);
}

/* A layer may say that its wait is over in a state that counts as waiting
 * (SOCKS5 holding a UDP association). */
static bool conn_wait_over(struct conn *c)
{
	if (!layer_wait_over(c))
		return false;
	loop_timer_cancel(wk->loop, &c->head_timer);
	conn_wait_end(c);
	return true;
}

bool conn_evict_waiting(uint64_t min_age_ms, uint64_t *wait_ms)
{
	uint64_t now = loop_now(wk->loop), age;
	struct conn *c;
	const char *what;

	*wait_ms = 0;
	while ((c = wait_first) != NULL && conn_wait_over(c))
		;
	if (c == NULL)
		return false;
	age = now - c->wait_since;
	if (age < min_age_ms) {
		*wait_ms = min_age_ms - age;
		return false;
	}
	what = conn_head_wait(c->state);
	conn_client_log(c, LOG_LVL_INFO,
			"Closing connection: %s not complete after %llu ms, and the worker is at "
			"its connection limit (max_connections)",
			what ? what : "request head", (unsigned long long)age);
	conn_close(c);
	return true;
}

/* A tunnel whose server is connected and whose client has not sent a byte
 * may carry a protocol whose client waits (a pooled connection): that is
 * idle, for tcp_timeout, until the client starts.  Likewise a head that is
 * complete but held back while the coordinator's channel is full. */
static bool conn_head_excused(const struct conn *c)
{
	if (wk->coord.congested && buf_len(&c->client.in) > 0)
		return true;
	return c->state == CS_TUNNEL_DETECT && c->server.fd >= 0 && buf_len(&c->client.in) == 0;
}

static void conn_on_head_timer(struct loop_timer *t)
{
	struct conn *c = t->arg;
	const char *what = conn_head_wait(c->state);

	if (what == NULL || conn_wait_over(c))
		return;
	if (conn_head_excused(c)) {
		loop_timer_arm(wk->loop, &c->head_timer, (uint64_t)wk->opts.header_timeout * 1000);
		return;
	}
	conn_client_log(c, LOG_LVL_INFO,
			"Closing connection: %s not complete after %d s "
			"(header_timeout)",
			what, wk->opts.header_timeout);
	conn_close(c);
}

void conn_wait_init(struct conn *c)
{
	loop_timer_init(&c->head_timer, conn_on_head_timer, c);
}

void conn_wait_close(struct conn *c)
{
	loop_timer_cancel(wk->loop, &c->head_timer);
	conn_wait_end(c);
}
