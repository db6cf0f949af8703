/* Runs in a worker: TLS session resumption towards servers.  Sessions the
 * server hands us are kept per (host, port, SNI) and offered on the next
 * connection, so repeated connections to one server skip the full handshake
 * and certificate verification.  Bounded (FIFO), never shared across SNIs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "worker/tls.h"

#define TLS_SESS_MAX 256

struct tls_sess {
	char key[300];
	SSL_SESSION *sess;
};

static struct tls_sess sessions[TLS_SESS_MAX];
static size_t sess_next;
static int sess_key_idx = -1;

static void sess_key(const char *host, uint16_t port, const char *sni, char *out, size_t len)
{
	snprintf(out, len, "%s|%u|%s", host, port, sni ? sni : "");
}

/* OpenSSL's new-session callback: remember it under the connection's key. */
static int tls_sess_new(SSL *ssl, SSL_SESSION *sess)
{
	const char *key = SSL_get_ex_data(ssl, sess_key_idx);
	struct tls_sess *slot = NULL;
	SSL_SESSION *copy;
	size_t i;

	if (key == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	/* Keep a copy: the live connection's session is marked not resumable
	 * when that connection is freed without a close_notify. */
	copy = SSL_SESSION_dup(sess);
	if (copy == NULL)
		return 0;
	for (i = 0; i < TLS_SESS_MAX && slot == NULL; i++)
		if (sessions[i].sess && strcmp(sessions[i].key, key) == 0)
			slot = &sessions[i];
	if (slot == NULL) {
		slot = &sessions[sess_next];
		sess_next = (sess_next + 1) % TLS_SESS_MAX;
	}
	SSL_SESSION_free(slot->sess);
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->sess = copy;
	return 0; /* OpenSSL keeps its own reference */
}

static void tls_sess_key_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			      void *argp)
{
	free(ptr);
}

void tls_sessions_enable(SSL_CTX *ctx)
{
	if (sess_key_idx < 0)
		sess_key_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, tls_sess_key_free);
	SSL_CTX_set_session_cache_mode(ctx,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, tls_sess_new);
}

/* Before the handshake: tag the connection and offer a kept session. */
void tls_sessions_attach(SSL *ssl, const char *host, uint16_t port, const char *sni)
{
	char key[300];
	size_t i;

	if (sess_key_idx < 0)
		return;
	sess_key(host, port, sni, key, sizeof(key));
	SSL_set_ex_data(ssl, sess_key_idx, xstrdup(key));
	for (i = 0; i < TLS_SESS_MAX; i++)
		if (sessions[i].sess && strcmp(sessions[i].key, key) == 0) {
			SSL_set_session(ssl, sessions[i].sess);
			return;
		}
}
