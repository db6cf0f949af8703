/* Runs in a worker: leaf certificate contexts, keyed by their SAN list and
 * organisation.  A miss sends one request to the ca (later misses for the
 * same key wait on it); replies become an SSL_CTX that is kept, FIFO-capped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "worker/wk.h"

#define CC_BUCKETS 1024
#define CC_MAX 2000

struct cc_entry {
	struct cc_entry *next;	/* bucket chain */
	struct cc_entry *older; /* FIFO towards the oldest */
	struct cc_entry *newer;
	char *key;
	uint64_t seq; /* pending ca request, or 0 */
	SSL_CTX *ctx;
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
	if (e->older)
		e->older->newer = e->newer;
	else
		cc_oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		cc_newest = e->older;
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

static uint64_t cc_request(const char *const *sans, size_t n, const char *org)
{
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	Snare__CertRequest rq = SNARE__CERT_REQUEST__INIT;

	rq.has_leaf_spki_der = 1;
	rq.leaf_spki_der.data = wk->leaf_spki;
	rq.leaf_spki_der.len = wk->leaf_spki_len;
	rq.n_sans = n;
	rq.sans = (char **)sans;
	rq.organization = (char *)org;
	env.body_case = SNARE__WORKER_TO_CA__BODY_CERT_REQUEST;
	env.cert_request = &rq;
	if (ipc_chan_send(&wk->ca, &env.base, NULL, 0) < 0)
		return 0;
	return env.seq;
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
		*seq = e->seq;
		return e->ctx;
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
	e->older = cc_newest;
	if (cc_newest)
		cc_newest->newer = e;
	else
		cc_oldest = e;
	cc_newest = e;
	cc_count++;
	cc_evict();
	return NULL;
}

SSL_CTX *certcache_complete(uint64_t seq, const uint8_t *der, size_t len)
{
	struct cc_entry *e;
	X509 *leaf;

	for (e = cc_newest; e; e = e->older)
		if (e->seq == seq)
			break;
	if (e == NULL)
		return NULL;
	e->seq = 0;
	leaf = der ? d2i_X509(NULL, &der, (long)len) : NULL;
	if (leaf)
		e->ctx = tls_leaf_ctx(leaf);
	X509_free(leaf);
	if (e->ctx == NULL) {
		cc_unlink(e);
		cc_free(e);
		return NULL;
	}
	return e->ctx;
}

void certcache_free_all(void)
{
	while (cc_oldest) {
		struct cc_entry *e = cc_oldest;

		cc_unlink(e);
		cc_free(e);
	}
}
