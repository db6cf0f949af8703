/* Runs in a worker: the TLS contexts.  One upstream context (system trust
 * store loaded eagerly, before the sandbox, or ssl_verify_upstream_trusted_ca;
 * TLS 1.2 minimum) and one context per leaf certificate, built from DER once
 * and reused, so no PEM/DER decoding happens per connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/log.h"
#include "core/unconst.h"
#include "worker/tls.h"
#include "worker/worker_ctx.h"

static void tls_keylog(const SSL *ssl, const char *line)
{
	struct iovec iov[2] = {{unconst(line), strlen(line)}, {unconst("\n"), 1}};

	if (wk->keylog_fd >= 0 && writev(wk->keylog_fd, iov, 2) < 0)
		wk->keylog_fd = -1;
}

/* Sends the secrets of ctx's sessions (TLS or DTLS) to SSLKEYLOGFILE, if open. */
void tls_keylog_install(SSL_CTX *ctx)
{
	if (wk->keylog_fd >= 0)
		SSL_CTX_set_keylog_callback(ctx, tls_keylog);
}

/* The coordinator opened SSLKEYLOGFILE and passed it as fd 5. */
static void tls_open_keylog(void)
{
	int fl = fcntl(WORKER_KEYLOG_FD, F_GETFL);

	wk->keylog_fd = -1;
	if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && (fl & O_APPEND)) {
		wk->keylog_fd = WORKER_KEYLOG_FD;
		if (fd_set_cloexec(wk->keylog_fd, 1) < 0)
			wk->keylog_fd = -1;
	}
}

/* Reads the whole trust bundle with pread: every worker shares the one open
 * file description, so its offset must not move.  Bounded at 16 MiB. */
static uint8_t *tls_read_trust_fd(size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t off = 0;

	if (fstat(WORKER_TRUST_FD, &st) < 0 || st.st_size <= 0 || st.st_size > (16 << 20))
		return NULL;
	p = xmalloc((size_t)st.st_size);
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(WORKER_TRUST_FD, p + off, (size_t)st.st_size - off, (off_t)off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	*len = off;
	return p;
}

/* Loads the custom trust bundle the coordinator opened for us (fd 6). */
static int tls_load_trust_fd(SSL_CTX *ctx)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	size_t len = 0;
	uint8_t *data = tls_read_trust_fd(&len);
	BIO *bio = data ? BIO_new_mem_buf(data, (int)len) : NULL;
	STACK_OF(X509_INFO) *infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
	int i, n = 0;

	for (i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 && X509_STORE_add_cert(store, xi->x509) == 1)
			n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	free(data);
	close(WORKER_TRUST_FD);
	ERR_clear_error();
	return n > 0 ? 0 : -ENOENT;
}

int tls_init(void)
{
	const char *bundle = wk->opts.ssl_verify_upstream_trusted_ca;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return -ENOMEM;
	tls_open_keylog();
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Many servers close without close_notify: treat that as an EOF. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	tls_sessions_enable(ctx);
	tls_keylog_install(ctx);
	if (wk->opts.ssl_insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		int err = bundle ? tls_load_trust_fd(ctx) : 0;

		if (bundle == NULL &&
		    SSL_CTX_load_verify_file(ctx, X509_get_default_cert_file()) != 1)
			err = -ENOENT;
		if (err < 0)
			log_warn("cannot load the trust store %s; upstream certificates will fail "
				 "verification",
				 bundle ? bundle : X509_get_default_cert_file());
		ERR_clear_error();
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	wk->upstream_ctx = ctx;
	return 0;
}

/* Marks a client session that may negotiate h2 (tls_allow_h2). */
static const char h2_allowed;

void tls_allow_h2(SSL *ssl)
{
	SSL_set_app_data(ssl, unconst(&h2_allowed));
}

/* Finds `proto` (length l) in the client's ALPN list. */
static bool alpn_find(const unsigned char *in, unsigned inlen, const char *proto, unsigned l,
		      const unsigned char **out, unsigned char *outlen)
{
	unsigned i = 0;

	while (i < inlen) {
		unsigned n = in[i];

		if (i + 1 + n > inlen)
			break;
		if (n == l && memcmp(in + i + 1, proto, l) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return true;
		}
		i += 1 + n;
	}
	return false;
}

/* h2 when the connection allows it (the server took h2), else http/1.1. */
static int tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			   const unsigned char *in, unsigned int inlen, void *arg)
{
	if (SSL_get_app_data(ssl) == &h2_allowed && alpn_find(in, inlen, "h2", 2, out, outlen))
		return SSL_TLSEXT_ERR_OK;
	if (alpn_find(in, inlen, "http/1.1", 8, out, outlen))
		return SSL_TLSEXT_ERR_OK;
	return SSL_TLSEXT_ERR_NOACK;
}

/* The chain sent after the leaf: nothing when the CA is a root (self-signed),
 * as mitmproxy does with its own CA.  A client that trusts the CA has it
 * already (RFC 8446 4.4.2: the trust anchor may be left out) and one that
 * does not fails either way, while every client decodes each certificate
 * it gets: with OpenSSL 3 a second certificate costs a client about as
 * much as the rest of its handshake's certificate work (docs/performance.md,
 * section j).  A CA that is not self-signed (an intermediate) is sent, so
 * that a client holding only the root can build the path; so is one whose
 * check fails (X509_self_signed returns -1), as sending it costs little. */
static bool tls_ca_in_chain(void)
{
	return wk->ca_cert && X509_self_signed(wk->ca_cert, 0) != 1;
}

int tls_ctx_use_leaf(SSL_CTX *ctx, X509 *leaf)
{
	if (SSL_CTX_use_certificate(ctx, leaf) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, wk->leaf_key) != 1 ||
	    (tls_ca_in_chain() && SSL_CTX_add1_chain_cert(ctx, wk->ca_cert) != 1)) {
		ERR_clear_error();
		return -EINVAL;
	}
	/* No chain built from a store per handshake either: what is sent is
	 * decided here. */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	return 0;
}

/* What clients are offered, strongest first: TLS 1.2 only with ECDHE and an
 * AEAD (no CBC: Lucky13; no RSA key transport; no finite-field DHE), either
 * leaf key type; TLS 1.3 keeps OpenSSL's three AEAD suites. */
#define TLS_SERVER_CIPHERS                                                                         \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* The client-facing side, TLS and DTLS: our order of suites (ChaCha20
 * first for clients that put it first: no AES hardware), no renegotiation,
 * no compression. */
int tls_server_suites(SSL_CTX *ctx)
{
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE |
				     SSL_OP_PRIORITIZE_CHACHA | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_set_cipher_list(ctx, TLS_SERVER_CIPHERS) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}

SSL_CTX *tls_server_ctx_new(const SSL_METHOD *m, int min_version)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, min_version);
	if (tls_server_suites(ctx) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *tls_leaf_ctx(X509 *leaf)
{
	SSL_CTX *ctx = tls_server_ctx_new(TLS_server_method(), TLS1_2_VERSION);

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	if (tls_ctx_use_leaf(ctx, leaf) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	/* Stateless tickets only: no per-context session table to maintain.
	 * One TLS 1.3 ticket per handshake (OpenSSL sends two by default, each
	 * a session copy to encrypt). */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	tls_keylog_install(ctx);
	return ctx;
}

void tls_describe(SSL *ssl, Snare__TlsInfo *ti)
{
	const unsigned char *alpn;
	unsigned alen;
	static __thread char alpnbuf[64];
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	SSL_get0_alpn_selected(ssl, &alpn, &alen);
	snprintf(alpnbuf, sizeof(alpnbuf), "%.*s", (int)alen, alen ? (const char *)alpn : "");
	ti->sni = unconst((sni ? sni : ""));
	ti->alpn = alpnbuf;
	ti->version = unconst(SSL_get_version(ssl));
	ti->cipher = unconst(SSL_get_cipher_name(ssl));
}
