/* Leaf certificates per SAN list, cached, asked from the ca when missing
 * (certcache.c).  Runs in a worker. */
#ifndef SNARE_WORKER_CERTCACHE_H
#define SNARE_WORKER_CERTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

/* Returns an SSL_CTX for the SAN list (cached), or NULL and sends a request
 * to the ca; tunnel_on_cert() is called with the reply's seq (*seq). */
SSL_CTX *certcache_get(const char *const *sans, size_t n, const char *org, uint64_t *seq);
SSL_CTX *certcache_complete(uint64_t seq, const uint8_t *der, size_t len);
void certcache_free_all(void);
/* Remembers that `hint` (a destination, tunnel.c) got the leaf for this SAN
 * list, and whether its server took h2; certcache_peek() returns that leaf
 * (and sets *h2) while it is cached and fresh, else NULL, and never asks
 * the ca. */
void certcache_remember(const char *hint, const char *const *sans, size_t n, const char *org,
			bool h2);
SSL_CTX *certcache_peek(const char *hint, bool *h2);
/* Registers the worker's leaf key with the ca, once, at start. */
int certcache_register(void);
/* A cached leaf by its notAfter: served; served but asked for again; not
 * served (CERTS_LEAF_REFRESH_SECS, CERTS_LEAF_MIN_LEFT_SECS). */
enum cc_leaf_state { CC_LEAF_FRESH, CC_LEAF_STALE, CC_LEAF_EXPIRED };
enum cc_leaf_state certcache_leaf_state(time_t not_after, time_t now);

#endif
