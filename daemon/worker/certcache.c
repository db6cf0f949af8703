/* Runs in a worker: leaf certificate contexts, keyed by their SAN list and
 * organisation.  The worker's one leaf key is registered with the ca at
 * start (certcache_register); requests then carry only names.  A miss sends
 * one request to the ca (later misses for the same key wait on it); replies
 * become an SSL_CTX that is kept, FIFO-capped.  Leaves live days
 * (CERTS_LEAF_DAYS): one close to its notAfter is asked for again while it is
 * still served, and one closer still is no longer served.  A refused request
 * (the ca's rate limit) fails only the handshakes waiting for it; cached
 * leaves keep being served.  Trusts the ca's replies to be certificates for
 * its key (OpenSSL checks the key matches). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/unconst.h"
#include "worker/certcache.h"
#include "core/dlist.h"
#include "worker/tls.h"
#include "worker/worker_ctx.h"

#define CC_BUCKETS 1024
#define CC_MAX 2000

struct cc_entry {
	struct cc_entry *next;	/* bucket chain */
	struct cc_entry *older; /* FIFO towards the oldest */
	struct cc_entry *newer;
	char *key;
	uint64_t seq; /* pending ca request, or 0 */
	SSL_CTX *ctx;
	time_t not_after; /* of ctx's leaf */
};

static struct cc_entry *cc_table[CC_BUCKETS];
static struct cc_entry *cc_oldest, *cc_newest;
static size_t cc_count;

static uint32_t cc_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h % CC_BUCKETS;
}

static char *cc_key(const char *const *sans, size_t n, const char *org)
{
	size_t len = 2 + (org ? strlen(org) : 0), i;
	char *k;

	for (i = 0; i < n; i++)
		len += strlen(sans[i]) + 1;
	k = xmalloc(len);
	k[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(k, sans[i]);
		strcat(k, ",");
	}
	strcat(k, "|");
	if (org)
		strcat(k, org);
	return k;
}

static void cc_unlink(struct cc_entry *e)
{
	struct cc_entry **pp = &cc_table[cc_hash(e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	DLIST_UNLINK(cc_oldest, cc_newest, e, older, newer);
	cc_count--;
}

static void cc_free(struct cc_entry *e)
{
	SSL_CTX_free(e->ctx);
	free(e->key);
	free(e);
}

static void cc_evict(void)
{
	struct cc_entry *e = cc_oldest;

	while (cc_count > CC_MAX && e) {
		struct cc_entry *next = e->newer;

		if (e->seq == 0) {
			cc_unlink(e);
			cc_free(e);
		}
		e = next;
	}
}

int certcache_register(void)
{
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	Snare__RegisterKey rk = SNARE__REGISTER_KEY__INIT;

	rk.has_leaf_spki_der = 1;
	rk.leaf_spki_der.data = wk->leaf_spki;
	rk.leaf_spki_der.len = wk->leaf_spki_len;
	env.body_case = SNARE__WORKER_TO_CA__BODY_REGISTER_KEY;
	env.register_key = &rk;
	return ipc_chan_send(&wk->ca, &env.base, NULL, 0);
}

enum cc_leaf_state certcache_leaf_state(time_t not_after, time_t now)
{
	if (now >= not_after - CERTS_LEAF_MIN_LEFT_SECS)
		return CC_LEAF_EXPIRED;
	if (now >= not_after - CERTS_LEAF_REFRESH_SECS)
		return CC_LEAF_STALE;
	return CC_LEAF_FRESH;
}

/* The request names only the names: the ca signs for the registered key. */
static uint64_t cc_request(const char *const *sans, size_t n, const char *org)
{
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	Snare__CertRequest rq = SNARE__CERT_REQUEST__INIT;

	rq.n_sans = n;
	rq.sans = unconst(sans);
	rq.organization = unconst(org);
	env.body_case = SNARE__WORKER_TO_CA__BODY_CERT_REQUEST;
	env.cert_request = &rq;
	if (ipc_chan_send(&wk->ca, &env.base, NULL, 0) < 0)
		return 0;
	return env.seq;
}

/* A cached entry: its leaf while fresh; while stale, still its leaf but a
 * new one is asked for (once); once expired, a new one is waited for. */
static SSL_CTX *cc_hit(struct cc_entry *e, const char *const *sans, size_t n, const char *org,
		       uint64_t *seq)
{
	enum cc_leaf_state st =
	    e->ctx ? certcache_leaf_state(e->not_after, time(NULL)) : CC_LEAF_EXPIRED;

	if (st == CC_LEAF_FRESH)
		return e->ctx;
	if (e->seq == 0)
		e->seq = cc_request(sans, n, org);
	if (st == CC_LEAF_STALE)
		return e->ctx;
	SSL_CTX_free(e->ctx); /* connections using it hold their own reference */
	e->ctx = NULL;
	*seq = e->seq; /* 0 when the ca cannot be asked: the caller fails */
	return NULL;
}

SSL_CTX *certcache_get(const char *const *sans, size_t n, const char *org, uint64_t *seq)
{
	char *key = cc_key(sans, n, org);
	struct cc_entry *e;
	uint32_t h = cc_hash(key);

	*seq = 0;
	for (e = cc_table[h]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e) {
		free(key);
		return cc_hit(e, sans, n, org, seq);
	}
	e = xcalloc(1, sizeof(*e));
	e->key = key;
	e->seq = cc_request(sans, n, org);
	if (e->seq == 0) {
		cc_free(e);
		return NULL;
	}
	*seq = e->seq;
	e->next = cc_table[h];
	cc_table[h] = e;
	DLIST_APPEND(cc_oldest, cc_newest, e, older, newer);
	cc_count++;
	cc_evict();
	return NULL;
}

/* The leaf's notAfter as a time_t. */
static time_t cc_not_after(const X509 *leaf)
{
	int days = 0, secs = 0;
	time_t now = time(NULL);

	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf)))
		return now; /* unreadable: treated as expired */
	return now + (time_t)days * 24 * 60 * 60 + secs;
}

SSL_CTX *certcache_complete(uint64_t seq, const uint8_t *der, size_t len)
{
	struct cc_entry *e;
	SSL_CTX *ctx = NULL;
	X509 *leaf;

	for (e = cc_newest; e; e = e->older)
		if (e->seq == seq)
			break;
	if (e == NULL)
		return NULL;
	e->seq = 0;
	leaf = der ? d2i_X509(NULL, &der, (long)len) : NULL;
	if (leaf)
		ctx = tls_leaf_ctx(leaf);
	if (ctx) {
		SSL_CTX_free(e->ctx); /* a stale leaf replaced */
		e->ctx = ctx;
		e->not_after = cc_not_after(leaf);
	}
	X509_free(leaf);
	if (e->ctx == NULL) {
		cc_unlink(e);
		cc_free(e);
		return NULL;
	}
	return e->ctx;
}

/* Hints: which leaf a destination got last time (its SAN-list key) and
 * whether its server took h2, so that a connection to it can be answered
 * before the server's certificate is seen (tunnel.c).  Direct-mapped: a
 * collision only forgets a hint. */
#define CC_HINTS 1024

static struct {
	char *hint;
	char *key;
	bool h2;
} cc_hints[CC_HINTS];

void certcache_remember(const char *hint, const char *const *sans, size_t n, const char *org,
			bool h2)
{
	uint32_t h = cc_hash(hint) % CC_HINTS;

	free(cc_hints[h].hint);
	free(cc_hints[h].key);
	cc_hints[h].hint = xstrdup(hint);
	cc_hints[h].key = cc_key(sans, n, org);
	cc_hints[h].h2 = h2;
}

SSL_CTX *certcache_peek(const char *hint, bool *h2)
{
	uint32_t h = cc_hash(hint) % CC_HINTS;
	struct cc_entry *e;

	if (cc_hints[h].hint == NULL || strcmp(cc_hints[h].hint, hint) != 0)
		return NULL;
	*h2 = cc_hints[h].h2;
	for (e = cc_table[cc_hash(cc_hints[h].key)]; e; e = e->next)
		if (strcmp(e->key, cc_hints[h].key) == 0)
			break;
	if (e == NULL || e->ctx == NULL ||
	    certcache_leaf_state(e->not_after, time(NULL)) != CC_LEAF_FRESH)
		return NULL;
	return e->ctx;
}

void certcache_free_all(void)
{
	size_t i;

	for (i = 0; i < CC_HINTS; i++) {
		free(cc_hints[i].hint);
		free(cc_hints[i].key);
		cc_hints[i].hint = cc_hints[i].key = NULL;
	}
	while (cc_oldest) {
		struct cc_entry *e = cc_oldest;

		cc_unlink(e);
		cc_free(e);
	}
}
