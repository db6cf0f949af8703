/* Runs in the worker. The server side's first steps: checking a datagram from an unknown
 * remote before any state is kept (a valid client Initial? under load, a Retry with an
 * address-validation token instead: RFC 9000 section 8.1.2), then the connection itself.
 * Trusts nothing in the datagram; tokens are sealed with the owner's secret by ngtcp2. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "core/util.h"
#include "quic/quic_int.h"

#define RETRY_TOKEN_TIMEOUT (10 * NGTCP2_SECONDS)

void quic_retry_secret_init(struct quic_retry_secret *s)
{
	gnutls_rnd(GNUTLS_RND_KEY, s->key, sizeof(s->key));
}

/* state: [0] 1 when a Retry token was verified, [1] the original DCID's length, then it. */
static void state_set(uint8_t state[QUIC_CHECK_STATE], const ngtcp2_cid *odcid)
{
	memset(state, 0, QUIC_CHECK_STATE);
	if (!odcid)
		return;
	state[0] = 1;
	state[1] = (uint8_t)odcid->datalen;
	memcpy(state + 2, odcid->data, odcid->datalen);
}

static enum quic_accept send_retry(const ngtcp2_pkt_hd *hd, const struct quic_path *path,
				   const struct quic_retry_secret *retry, uint8_t *out, size_t cap,
				   size_t *out_len)
{
	uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN];
	ngtcp2_cid scid = {.datalen = 16};
	ngtcp2_ssize tn, n;

	gnutls_rnd(GNUTLS_RND_NONCE, scid.data, scid.datalen);
	tn = ngtcp2_crypto_generate_retry_token(token, retry->key, sizeof(retry->key), hd->version,
						(const ngtcp2_sockaddr *)path->remote,
						path->remote_len, &scid, &hd->dcid, quic_now());
	if (tn < 0)
		return QUIC_ACCEPT_DROP;
	n = ngtcp2_crypto_write_retry(out, cap, hd->version, &hd->scid, &scid, &hd->dcid, token,
				      (size_t)tn);
	if (n < 0)
		return QUIC_ACCEPT_DROP;
	*out_len = (size_t)n;
	return QUIC_ACCEPT_RETRY;
}

/* A long header of another version: a Version Negotiation listing v1 (RFC 9000 section 6.1),
 * only for a datagram as large as a client's first must be (section 14.1). */
static enum quic_accept version_negotiation(const ngtcp2_version_cid *vc, size_t n, uint8_t *out,
					    size_t cap, size_t *out_len)
{
	static const uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
	uint8_t rnd = 0;
	ngtcp2_ssize w;

	if (n < NGTCP2_MAX_UDP_PAYLOAD_SIZE)
		return QUIC_ACCEPT_DROP;
	gnutls_rnd(GNUTLS_RND_NONCE, &rnd, 1);
	w = ngtcp2_pkt_write_version_negotiation(out, cap, rnd, vc->scid, vc->scidlen, vc->dcid,
						 vc->dcidlen, versions, 1);
	if (w < 0)
		return QUIC_ACCEPT_DROP;
	*out_len = (size_t)w;
	return QUIC_ACCEPT_VERSION;
}

enum quic_accept quic_server_check(const uint8_t *d, size_t n, const struct quic_path *path,
				   const struct quic_retry_secret *retry, bool under_load,
				   uint8_t *out, size_t cap, size_t *out_len,
				   uint8_t state[QUIC_CHECK_STATE])
{
	ngtcp2_pkt_hd hd;
	ngtcp2_cid odcid;
	ngtcp2_version_cid vc;
	int r;

	*out_len = 0;
	state_set(state, NULL);
	r = ngtcp2_pkt_decode_version_cid(&vc, d, n, NGTCP2_MAX_CIDLEN);
	if (r == NGTCP2_ERR_VERSION_NEGOTIATION)
		return version_negotiation(&vc, n, out, cap, out_len);
	if (r != 0 || !(d[0] & 0x80) || (vc.version == NGTCP2_PROTO_VER_V1 && (d[0] & 0x30) != 0))
		return QUIC_ACCEPT_DROP; /* not QUIC, a short header, or not an Initial */
	if (ngtcp2_accept(&hd, d, n) != 0)
		return QUIC_ACCEPT_MALFORMED;
	if (!retry)
		return QUIC_ACCEPT;
	if (hd.token.len == 0 || hd.token.base[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY)
		return under_load ? send_retry(&hd, path, retry, out, cap, out_len) : QUIC_ACCEPT;
	if (ngtcp2_crypto_verify_retry_token(
		&odcid, hd.token.base, hd.token.len, retry->key, sizeof(retry->key), hd.version,
		(const ngtcp2_sockaddr *)path->remote, path->remote_len, &hd.dcid,
		RETRY_TOKEN_TIMEOUT, quic_now()) != 0)
		return QUIC_ACCEPT_BAD_TOKEN;
	state_set(state, &odcid);
	return QUIC_ACCEPT;
}

static int server_conn(struct quic_conn *c, const ngtcp2_pkt_hd *hd,
		       const uint8_t state[QUIC_CHECK_STATE], const char **err)
{
	ngtcp2_callbacks ncb;
	ngtcp2_settings s;
	ngtcp2_transport_params p;
	ngtcp2_cid scid = {.datalen = 16};
	ngtcp2_path np;

	quic_path_of(c, &np);
	quic_callbacks_fill(&ncb, true);
	quic_settings_fill(c, &s, &p);
	gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
	s.token = hd->token;
	if (state && state[0] == 1 && state[1] <= NGTCP2_MAX_CIDLEN) {
		p.original_dcid.datalen = state[1];
		memcpy(p.original_dcid.data, state + 2, state[1]);
		p.retry_scid = hd->dcid;
		p.retry_scid_present = 1;
	} else {
		p.original_dcid = hd->dcid;
	}
	if (ngtcp2_conn_server_new(&c->conn, &hd->scid, &scid, &np, hd->version, &ncb, &s, &p, NULL,
				   c) != 0)
		return *err = "ngtcp2_conn_server_new failed", -EINVAL;
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
	return 0;
}

struct quic_conn *quic_server_new(const struct quic_server_opts *o, const uint8_t *first, size_t n,
				  const struct quic_path *path,
				  const uint8_t state[QUIC_CHECK_STATE],
				  const struct quic_callbacks *cb, void *arg, const char **err)
{
	struct quic_conn *c = xcalloc(1, sizeof(*c));
	ngtcp2_pkt_hd hd;

	c->cb = *cb;
	c->arg = arg;
	c->server = true;
	c->datagrams = o->datagrams;
	c->idle_s = o->idle_timeout_s;
	c->writer = &quic_raw_writer;
	quic_conn_copy_path(c, path);
	if (ngtcp2_accept(&hd, first, n) != 0) {
		*err = "not a client Initial";
		goto fail;
	}
	if (quic_tls_server(c, o, err) < 0 || server_conn(c, &hd, state, err) < 0)
		goto fail;
	if (quic_conn_recv(c, first, n) < 0) {
		*err = "first packet rejected";
		goto fail;
	}
	return c;
fail:
	quic_conn_free(c);
	return NULL;
}
