/* Runs in a worker: a fixed-size table of recently seen client sources (an
 * IPv4 address or an IPv6 /64), for per-source state that may be forgotten:
 * the UDP reply limit and the refusal log.  Sources are whatever senders
 * write in their packets, so the table never grows, sets are chosen by a
 * keyed hash, and a new source evicts the least recently used entry of its
 * set. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/util.h"
#include "worker/client_policy.h"

void src_key(const struct sockaddr *sa, uint8_t key[SRC_KEY_LEN])
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	memset(key, 0, SRC_KEY_LEN);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		key[0] = 4;
		memcpy(key + 1, in6->sin6_addr.s6_addr + 12, 4);
	} else if (sa->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, in6->sin6_addr.s6_addr, 8);
	} else {
		key[0] = 1; /* no address: one shared source */
	}
}

void src_table_init(struct src_table *t, size_t entries)
{
	size_t nsets = 1;

	while (nsets * SRC_TABLE_WAYS < entries)
		nsets *= 2;
	t->nsets = nsets;
	t->e = xcalloc(nsets * SRC_TABLE_WAYS, sizeof(*t->e));
	if (getrandom(t->hkey, sizeof(t->hkey), 0) != (ssize_t)sizeof(t->hkey))
		t->hkey[0] = clock_ms() * 0x9e3779b97f4a7c15ull; /* weak, but still keyed */
}

void src_table_free(struct src_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

uint64_t src_hash(const uint64_t hkey[2], const uint8_t key[SRC_KEY_LEN])
{
	uint64_t w;

	memcpy(&w, key + 1, sizeof(w));
	return mix(mix(w ^ hkey[0]) ^ key[0] ^ hkey[1]);
}

static size_t src_set(const struct src_table *t, const uint8_t key[SRC_KEY_LEN])
{
	return (size_t)(src_hash(t->hkey, key) & (t->nsets - 1));
}

struct src_entry *src_table_get(struct src_table *t, const struct sockaddr *sa, uint64_t now_ms,
				bool *fresh)
{
	uint8_t key[SRC_KEY_LEN];
	struct src_entry *set, *victim;
	size_t i;

	src_key(sa, key);
	set = t->e + src_set(t, key) * SRC_TABLE_WAYS;
	victim = NULL;
	for (i = 0; i < SRC_TABLE_WAYS; i++) {
		struct src_entry *e = &set[i];

		if (e->key[0] == 0) { /* free: the first one is taken before any eviction */
			if (victim == NULL || victim->key[0] != 0)
				victim = e;
			continue;
		}
		if (memcmp(e->key, key, SRC_KEY_LEN) == 0) {
			e->used_ms = now_ms;
			*fresh = false;
			return e;
		}
		if (victim == NULL || (victim->key[0] != 0 && e->used_ms < victim->used_ms))
			victim = e;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, SRC_KEY_LEN);
	victim->used_ms = now_ms;
	*fresh = true;
	return victim;
}
