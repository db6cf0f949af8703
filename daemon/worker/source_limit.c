/* Runs in a worker: how many client connections each source holds, for
 * max_connections_per_source.  A source is an IPv4 address (v4-mapped
 * included) or an IPv6 /64, since one host commonly owns a whole /64.
 * Sources are peer addresses, chosen by whoever connects: the table hashes
 * them with a per-process random key so chains stay short. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/util.h"
#include "worker/accepting.h"
#include "worker/client_policy.h"

#define SRC_BUCKETS 4096 /* a power of two */

struct src_slot {
	struct src_slot *next;
	uint8_t key[SRC_KEY_LEN]; /* family tag + 4 or 8 address bytes */
	unsigned n;
	unsigned bucket;
};

static struct src_slot *buckets[SRC_BUCKETS];
static uint64_t hash_key[2];

void srclimit_init(void)
{
	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key))
		hash_key[0] = (uint64_t)clock_ms() * 0x9e3779b97f4a7c15ull; /* weak, but keyed */
}

static unsigned source_bucket(const uint8_t key[SRC_KEY_LEN])
{
	return (unsigned)(src_hash(hash_key, key) & (SRC_BUCKETS - 1));
}

int srclimit_take(const union sockaddr_any *peer, unsigned cap, struct src_slot **slot)
{
	uint8_t key[SRC_KEY_LEN];
	unsigned b;
	struct src_slot *s;

	*slot = NULL;
	if (cap == 0)
		return 0;
	src_key(&peer->sa, key);
	b = source_bucket(key);
	for (s = buckets[b]; s && memcmp(s->key, key, sizeof(key)) != 0; s = s->next)
		;
	if (s && s->n >= cap)
		return -EMFILE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		memcpy(s->key, key, sizeof(key));
		s->bucket = b;
		s->next = buckets[b];
		buckets[b] = s;
	}
	s->n++;
	*slot = s;
	return 0;
}

void srclimit_put(struct src_slot *slot)
{
	struct src_slot **pp;

	if (slot == NULL || --slot->n > 0)
		return;
	for (pp = &buckets[slot->bucket]; *pp && *pp != slot; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = slot->next;
	free(slot);
}

bool log_once_due(struct log_once *lo, uint64_t now_ms, unsigned *skipped)
{
	if (lo->next_ms != 0 && now_ms < lo->next_ms) {
		lo->skipped++;
		return false;
	}
	*skipped = lo->skipped;
	lo->skipped = 0;
	lo->next_ms = now_ms + 60000;
	return true;
}
