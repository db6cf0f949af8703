/* Runs in the worker. The GnuTLS side of QUIC handshakes through ngtcp2's crypto helper: server
 * sessions from a certificate chain and key in memory (what the ca signed for this name),
 * client sessions verified against the system store, a CA file or nothing (-k), ALPN, SNI,
 * and SSLKEYLOGFILE lines through the owner's keylog callback. Trusts its caller's
 * certificates and trust settings; the peer's certificate only as GnuTLS verifies it. */
#include <errno.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "quic/quic_int.h"
#include "core/unconst.h"

/* TLS 1.3 only (QUIC requires it), the AEADs ngtcp2 supports. */
static const char priority[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
			       "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM";

static int keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
	struct quic_conn *c = ref->user_data;
	gnutls_datum_t crandom, srandom;
	char line[512];
	size_t n;

	if (!c->cb.keylog || secret->size > 64)
		return 0;
	gnutls_session_get_random(s, &crandom, &srandom);
	n = (size_t)snprintf(line, sizeof(line), "%s ", label);
	for (unsigned i = 0; i < crandom.size && n + 3 < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", crandom.data[i]);
	n += (size_t)snprintf(line + n, sizeof(line) - n, " ");
	for (unsigned i = 0; i < secret->size && n + 3 < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", secret->data[i]);
	c->cb.keylog(c->arg, line);
	return 0;
}

static int set_alpn(gnutls_session_t s, const char *const *alpn, unsigned flags)
{
	gnutls_datum_t d[QUIC_MAX_ALPN];
	unsigned n = 0;

	for (; n < QUIC_MAX_ALPN && alpn[n]; n++) {
		d[n].data = unconst(alpn[n]);
		d[n].size = (unsigned)strlen(alpn[n]);
	}
	return n ? gnutls_alpn_set_protocols(s, d, n, flags) : 0;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct quic_conn *)ref->user_data)->conn;
}

/* The parts both roles share once the session exists. */
static int session_common(struct quic_conn *c, const char **err)
{
	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	gnutls_session_set_ptr(c->tls, &c->ref);
	gnutls_session_set_keylog_function(c->tls, keylog);
	if (gnutls_priority_set_direct(c->tls, priority, NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred) < 0) {
		*err = "GnuTLS session setup failed";
		return -EINVAL;
	}
	return 0;
}

struct quic_trust {
	gnutls_certificate_credentials_t cred;
	enum quic_verify verify;
};

struct quic_trust *quic_trust_new(enum quic_verify verify, const char *ca_file, const char **err)
{
	struct quic_trust *t = xcalloc(1, sizeof(*t));
	int r = 1;

	t->verify = verify;
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		free(t);
		*err = "GnuTLS credentials";
		return NULL;
	}
	if (verify == QUIC_VERIFY_SYSTEM)
		r = gnutls_certificate_set_x509_system_trust(t->cred);
	else if (verify == QUIC_VERIFY_CA_FILE)
		r = ca_file ? gnutls_certificate_set_x509_trust_file(t->cred, ca_file,
								     GNUTLS_X509_FMT_PEM)
			    : -1;
	if (r <= 0) {
		quic_trust_free(t);
		*err = "no trusted certificate could be loaded";
		return NULL;
	}
	return t;
}

void quic_trust_free(struct quic_trust *t)
{
	if (!t)
		return;
	gnutls_certificate_free_credentials(t->cred);
	free(t);
}

int quic_tls_client(struct quic_conn *c, const struct quic_client_opts *o, const char **err)
{
	if (!o->trust)
		return *err = "no trust setting", -EINVAL;
	c->cred = o->trust->cred;
	c->cred_shared = true;
	if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA) < 0)
		return *err = "gnutls_init failed", -ENOMEM;
	if (session_common(c, err) < 0)
		return -EINVAL;
	if (ngtcp2_crypto_gnutls_configure_client_session(c->tls) != 0 ||
	    set_alpn(c->tls, o->alpn, 0) < 0)
		return *err = "QUIC client session setup failed", -EINVAL;
	if (o->sni && o->sni[0]) {
		snprintf(c->sni, sizeof(c->sni), "%s", o->sni);
		if (gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, o->sni, strlen(o->sni)) < 0)
			return *err = "bad SNI", -EINVAL;
	}
	if (o->trust->verify != QUIC_VERIFY_INSECURE)
		gnutls_session_set_verify_cert(c->tls, o->sni && o->sni[0] ? o->sni : NULL, 0);
	return 0;
}

static gnutls_x509_crt_fmt_t format_of(const uint8_t *p, size_t n)
{
	return memmem(p, n, "-----BEGIN", 10) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
}

int quic_tls_server(struct quic_conn *c, const struct quic_server_opts *o, const char **err)
{
	gnutls_datum_t cert = {unconst(o->cert), (unsigned)o->cert_len};
	gnutls_datum_t key = {unconst(o->key), (unsigned)o->key_len};

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0)
		return *err = "GnuTLS credentials", -ENOMEM;
	if (gnutls_certificate_set_x509_key_mem2(c->cred, &cert, &key,
						 format_of(o->cert, o->cert_len), NULL, 0) < 0)
		return *err = "certificate or key not usable", -EINVAL;
	if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NO_END_OF_EARLY_DATA) < 0)
		return *err = "gnutls_init failed", -ENOMEM;
	if (session_common(c, err) < 0)
		return -EINVAL;
	gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_IGNORE);
	if (ngtcp2_crypto_gnutls_configure_server_session(c->tls) != 0 ||
	    set_alpn(c->tls, o->alpn, GNUTLS_ALPN_SERVER_PRECEDENCE) < 0)
		return *err = "QUIC server session setup failed", -EINVAL;
	return 0;
}

/* Records the ALPN and, on the server, the client's SNI. */
void quic_tls_handshake_done(struct quic_conn *c)
{
	gnutls_datum_t a;
	char name[256];
	size_t len = sizeof(name);
	unsigned type;

	if (gnutls_alpn_get_selected_protocol(c->tls, &a) == 0 && a.size < sizeof(c->alpn)) {
		memcpy(c->alpn, a.data, a.size);
		c->alpn[a.size] = '\0';
	}
	if (c->server && gnutls_server_name_get(c->tls, name, &len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS)
		snprintf(c->sni, sizeof(c->sni), "%s", name);
}

void quic_tls_free(struct quic_conn *c)
{
	if (c->tls)
		gnutls_deinit(c->tls);
	if (c->cred && !c->cred_shared)
		gnutls_certificate_free_credentials(c->cred);
	c->tls = NULL;
	c->cred = NULL;
}
