/* TLS contexts of the worker (tls.c) and session resumption towards
 * servers (tls_sessions.c).  Runs in a worker. */
#ifndef SNARE_WORKER_TLS_H
#define SNARE_WORKER_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>

#include "flow.pb-c.h"

/* ---- tls.c ---- */
int tls_init(void);
SSL_CTX *tls_leaf_ctx(X509 *leaf);
/* Loads leaf, the worker's leaf key and the CA (as chain) into ctx (TLS or
 * DTLS).  0, or -EINVAL with the OpenSSL error queue cleared. */
int tls_ctx_use_leaf(SSL_CTX *ctx, X509 *leaf);
/* The client session ssl may negotiate h2 (when the client offers it). */
void tls_allow_h2(SSL *ssl);
/* Suites and options of every client-facing context (TLS and DTLS). */
int tls_server_suites(SSL_CTX *ctx);
/* A server context of method m (TLS or DTLS), min_version up, with the
 * suites above; NULL on failure. */
SSL_CTX *tls_server_ctx_new(const SSL_METHOD *m, int min_version);
/* Key log lines (SSLKEYLOGFILE) for every session of ctx, TLS or DTLS. */
void tls_keylog_install(SSL_CTX *ctx);
void tls_describe(SSL *ssl, Snare__TlsInfo *ti);

/* ---- tls_sessions.c: resumption towards servers ---- */
void tls_sessions_enable(SSL_CTX *ctx);
void tls_sessions_attach(SSL *ssl, const char *host, uint16_t port, const char *sni);

#endif
