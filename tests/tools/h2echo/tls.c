/* h2echo: OpenSSL contexts offering or choosing ALPN "h2", and a blocking handshake. */
#include <fcntl.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "h2echo.h"
#include "core/unconst.h"

static const unsigned char alpn_h2[] = "\x02h2";

static int select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		     const unsigned char *in, unsigned int inlen, void *arg)
{
	if (SSL_select_next_proto(unconst(out), outlen, alpn_h2, 3, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL; /* an h2-only server */
	return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *tls_server_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_alpn_select_cb(ctx, select_h2, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
	return ctx;
}

SSL_CTX *tls_client_ctx(const char *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_alpn_protos(ctx, alpn_h2, 3);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (ca) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			ERR_print_errors_fp(stderr);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

int tls_handshake(SSL *ssl, bool server)
{
	const unsigned char *alpn;
	unsigned int len;
	int fd = SSL_get_fd(ssl);

	if ((server ? SSL_accept(ssl) : SSL_connect(ssl)) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	SSL_get0_alpn_selected(ssl, &alpn, &len);
	if (!server)
		printf("alpn %.*s\n", (int)len, len ? (const char *)alpn : "none");
	if (len != 2 || memcmp(alpn, "h2", 2) != 0)
		return -1;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}
