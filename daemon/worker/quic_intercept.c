/* Runs in a worker: QUIC interception for a UDP flow of a packet mode or transparent UDP. The
 * client's datagrams are held while the Initial reader (quic_peek.c) has not seen the whole
 * ClientHello; then an ignored host, an unknown version or anything not QUIC is relayed as UDP
 * (the held datagrams first), and QUIC v1/v2 is handed to quic_reverse.c, which serves the
 * client with a leaf for its SNI and connects to the server the packets were sent to, checked
 * like a TLS upstream. h3 among the client's ALPNs makes HTTP/3 flows (h3_reverse.c), else every
 * stream is a flow. The connections send to the client through the owner's ops. Trusts nothing
 * in the datagrams. */
#include <stdlib.h>
#include <string.h>

#include "quic/initial.h"
#include "worker/hooks.h"
#include "worker/quic_intercept.h"
#include "worker/quic_peek.h"
#include "worker/quic_reverse.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

#define QX_HELD_MAX 8 /* client datagrams held while its hello is read */

enum qx_state { QX_READING, QX_RELAYING, QX_TAKEN, QX_GONE, QX_KILLED };

struct qx {
	enum qx_state state;
	unsigned mode_index;
	union sockaddr_any client, server;
	const struct qx_ops *ops;
	void *arg;
	struct quic_peek *peek;
	uint8_t *held[QX_HELD_MAX];
	size_t held_len[QX_HELD_MAX], nheld;
	struct qr_peer *peer;
	struct udp_rec *rec; /* the owner's */
};

static void held_free(struct qx *x)
{
	for (size_t i = 0; i < x->nheld; i++)
		free(x->held[i]);
	x->nheld = 0;
	quic_peek_free(x->peek);
	x->peek = NULL;
}

static void qx_send(void *arg, const uint8_t *d, size_t n)
{
	struct qx *x = arg;

	x->ops->to_client(x->arg, d, n);
}

static void qx_gone(void *arg)
{
	struct qx *x = arg;

	x->peer = NULL;
	x->state = QX_GONE; /* the flow's idle timer ends it; stray datagrams are dropped */
}

static const struct quic_endpoint qx_endpoint = {qx_send, qx_gone};

struct qx *qx_new(unsigned mode_index, const union sockaddr_any *client,
		  const union sockaddr_any *server, const struct qx_ops *ops, void *arg)
{
	struct qx *x;

	if (!wk->opts.http3)
		return NULL;
	x = xcalloc(1, sizeof(*x));
	x->mode_index = mode_index;
	x->client = *client;
	x->server = *server;
	x->ops = ops;
	x->arg = arg;
	x->peek = quic_peek_new(addr_port(&server->sa));
	return x;
}

void qx_set_record(struct qx *x, struct udp_rec *rec)
{
	if (x)
		x->rec = rec;
}

void qx_free(struct qx *x)
{
	if (x == NULL)
		return;
	if (x->peer)
		quic_reverse_drop(x->peer);
	held_free(x);
	loop_defer_free(wk->loop, free, x);
}

bool qx_intercepted(const struct qx *x)
{
	return x && x->state == QX_TAKEN;
}

/* Not intercepted after all: what was held is relayed, in order. */
static void relay_held(struct qx *x)
{
	x->state = QX_RELAYING;
	for (size_t i = 0; i < x->nheld; i++)
		x->ops->relay(x->arg, x->held[i], x->held_len[i]);
	held_free(x);
}

/* Sent a Retry: the client's next Initial (with the token) starts the reading over. */
static void retried(struct qx *x)
{
	held_free(x);
	x->state = QX_GONE;
}

/* "h3" among the comma-separated ALPNs. */
static bool offers_h3(const char *alpn)
{
	size_t n;

	for (; *alpn; alpn += n + (alpn[n] == ',')) {
		n = strcspn(alpn, ",");
		if (n == 2 && memcmp(alpn, "h3", 2) == 0)
			return true;
	}
	return false;
}

/* The hello says QUIC to a host we intercept: the connections take over what was held. */
static void take(struct qx *x)
{
	const char *version, *sni, *alpn;
	struct quic_intercept_start in = {.mode_index = x->mode_index,
					  .client = &x->client,
					  .server = &x->server,
					  .d = (const uint8_t *const *)x->held,
					  .len = x->held_len,
					  .n = x->nheld};

	quic_peek_hello(x->peek, &version, &sni, &alpn);
	switch (hooks_quic_clienthello(x->rec, sni, alpn)) {
	case HOOKS_TLS_IGNORE:
		relay_held(x);
		return;
	case HOOKS_TLS_KILL:
		held_free(x);
		x->state = QX_KILLED; /* its datagrams are dropped until the flow ends */
		return;
	default:
		break;
	}
	in.pid = udp_record_process(x->rec, &in.proc_name);
	in.http3 = offers_h3(alpn);
	x->state = QX_TAKEN;
	x->peer = quic_reverse_intercept(&in, &qx_endpoint, x);
	if (x->peer)
		held_free(x);
	else if (in.retried)
		retried(x);
	else
		relay_held(x);
}

/* A QUIC v1 or v2 Initial packet first in the datagram (RFC 9000 17.2, RFC 9369 3.2). */
static bool looks_initial(const uint8_t *d, size_t n)
{
	uint32_t v;

	if (n < 5 || (d[0] & 0xc0) != 0xc0)
		return false;
	v = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
	return (v == QUIC_VERSION_1 && (d[0] & 0x30) == 0x00) ||
	       (v == QUIC_VERSION_2 && (d[0] & 0x30) == 0x10);
}

bool qx_client(struct qx *x, const uint8_t *d, size_t n)
{
	char client[ADDR_STRLEN];

	switch (x->state) {
	case QX_RELAYING:
		return false;
	case QX_KILLED:
		return true;
	case QX_GONE: /* late datagrams of a closed connection, or a new one from the same port */
		if (!looks_initial(d, n))
			return true;
		x->peek = quic_peek_new(addr_port(&x->server.sa));
		x->state = QX_READING;
		break;
	case QX_TAKEN:
		quic_reverse_datagram(x->peer, d, n);
		return true;
	case QX_READING:
		break;
	}
	if (x->nheld == QX_HELD_MAX) { /* a hello this long is not one we read */
		relay_held(x);
		return false;
	}
	x->held[x->nheld] = xmalloc(n ? n : 1);
	memcpy(x->held[x->nheld], d, n);
	x->held_len[x->nheld++] = n;
	addr_format(&x->client.sa, client, sizeof(client));
	switch (quic_peek_feed(x->peek, client, d, n)) {
	case QUIC_PEEK_PENDING:
		return true;
	case QUIC_PEEK_QUIC:
		take(x); /* or relayed with the others, when the connections cannot be made */
		return true;
	default:
		relay_held(x);
		return true;
	}
}
