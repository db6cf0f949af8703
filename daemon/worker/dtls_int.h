/* Worker-private DTLS helpers shared by the reverse udp:// and dtls://
 * relay (dtls_reverse.c).  Runs in a worker; trusts nothing a client sends. */
#ifndef SNARE_WORKER_DTLS_INT_H
#define SNARE_WORKER_DTLS_INT_H

#include <openssl/ssl.h>

/* ---- dtls_cookie.c: stateless HelloVerifyRequest cookies ---- */
/* Draws the per-worker cookie secret; call before the sandbox.  0 or -EIO. */
int dtls_cookie_prepare(void);
/* Makes ctx issue and check cookies.  Every SSL from it must carry its
 * client's address (const union sockaddr_any *) as SSL_set_app_data. */
void dtls_cookie_install(SSL_CTX *ctx);

#endif
