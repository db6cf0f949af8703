/* Runs in a worker: reads the QUIC Initial at the start of a relayed UDP conversation (the
 * Initial reader decrypts it with the keys its Destination Connection ID gives) and decides with
 * the same host rules as a TLS ClientHello. Trusts nothing in the datagrams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "quic/initial.h"
#include "worker/accepting.h"
#include "worker/hosts.h"
#include "worker/quic_peek.h"
#include "worker/worker_ctx.h"

struct quic_peek {
	struct quic_initial *qi;
	enum quic_peek_state state;
	uint16_t port;
	char version[8];
	char sni[256];
	char alpn[TLSPARSE_MAX_ALPN * 65];
};

static struct log_once malformed_log;

struct quic_peek *quic_peek_new(uint16_t port)
{
	struct quic_peek *p = xcalloc(1, sizeof(*p));

	p->qi = quic_initial_new();
	p->port = port;
	return p;
}

void quic_peek_free(struct quic_peek *p)
{
	if (p == NULL)
		return;
	quic_initial_free(p->qi);
	free(p);
}

static void alpn_join(struct quic_peek *p, const struct tls_client_hello *h)
{
	size_t i, off = 0;

	for (i = 0; i < h->nalpn && off < sizeof(p->alpn); i++)
		off += (size_t)snprintf(p->alpn + off, sizeof(p->alpn) - off, "%s%s", i ? "," : "",
					h->alpn[i]);
}

/* The hello is complete: remember what it says and apply the host rules. */
static enum quic_peek_state hello_read(struct quic_peek *p)
{
	const struct quic_initial_info *in = quic_initial_info(p->qi);

	snprintf(p->version, sizeof(p->version), "QUICv%u",
		 in->version == QUIC_VERSION_2 ? 2u : 1u);
	snprintf(p->sni, sizeof(p->sni), "%s", in->hello.sni);
	alpn_join(p, &in->hello);
	if (p->sni[0] && hosts_ignored(p->sni, p->port)) {
		log_debug("QUIC to %s:%u: an ignored host, relayed as UDP", p->sni, p->port);
		return QUIC_PEEK_IGNORED;
	}
	return QUIC_PEEK_QUIC;
}

static void log_malformed(const struct quic_peek *p, const char *client)
{
	unsigned skipped;

	if (!log_once_due(&malformed_log, loop_now(wk->loop), &skipped))
		return;
	log_msg(LOG_LVL_INFO, client,
		"malformed QUIC Initial (%s), relayed as UDP (%u more not logged)",
		quic_initial_error(p->qi), skipped);
}

enum quic_peek_state quic_peek_feed(struct quic_peek *p, const char *client, const uint8_t *d,
				    size_t n)
{
	if (p->state != QUIC_PEEK_PENDING)
		return p->state;
	switch (quic_initial_feed(p->qi, d, n)) {
	case QUIC_INITIAL_NEED_MORE:
		return p->state;
	case QUIC_INITIAL_DONE:
		p->state = hello_read(p);
		break;
	case QUIC_INITIAL_ERROR:
		log_malformed(p, client);
		p->state = QUIC_PEEK_NONE;
		break;
	default:
		p->state = QUIC_PEEK_NONE;
		break;
	}
	quic_initial_free(p->qi); /* nothing more to read: its buffers go now */
	p->qi = NULL;
	return p->state;
}

void quic_peek_hello(const struct quic_peek *p, const char **version, const char **sni,
		     const char **alpn)
{
	*version = p->version;
	*sni = p->sni;
	*alpn = p->alpn;
}
