/* Runs in a worker: credentials that passed an htpasswd check, so that a
 * client sending the same Proxy-Authorization on every connection costs
 * one bcrypt per AUTH_CACHE_TTL_MS instead of one per connection.  An entry
 * is HMAC-SHA256 of "user:password" under a key drawn at random when the
 * htpasswd file is loaded; the password itself is never stored, and the
 * keyed hash spreads entries over the table whatever clients send.  The
 * table is fixed-size; a full set drops the entry closest to expiry. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "worker/auth.h"

#define TAG_LEN 32

struct cache_slot {
	uint8_t tag[TAG_LEN];
	uint64_t expires_ms; /* 0: empty */
};

static struct cache_slot slots[AUTH_CACHE_SLOTS];
static uint8_t key[32];
static bool have_key;

int auth_cache_reset(void)
{
	memset(slots, 0, sizeof(slots));
	have_key = RAND_bytes(key, sizeof(key)) == 1;
	return have_key ? 0 : -1;
}

static bool cache_tag(const char *cred, uint8_t tag[TAG_LEN])
{
	unsigned len = TAG_LEN;

	if (!have_key)
		auth_cache_reset();
	return have_key &&
	       HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)cred, strlen(cred), tag,
		    &len) != NULL &&
	       len == TAG_LEN;
}

/* The first slot of the set a tag belongs to. */
static struct cache_slot *cache_set(const uint8_t tag[TAG_LEN])
{
	uint32_t h = (uint32_t)tag[0] | (uint32_t)tag[1] << 8 | (uint32_t)tag[2] << 16;

	return &slots[(h % (AUTH_CACHE_SLOTS / AUTH_CACHE_WAYS)) * AUTH_CACHE_WAYS];
}

bool auth_cache_hit(const char *cred, uint64_t now_ms)
{
	uint8_t tag[TAG_LEN];
	struct cache_slot *set;
	size_t i;

	if (!cache_tag(cred, tag))
		return false;
	set = cache_set(tag);
	for (i = 0; i < AUTH_CACHE_WAYS; i++)
		if (set[i].expires_ms > now_ms && CRYPTO_memcmp(set[i].tag, tag, TAG_LEN) == 0)
			return true;
	return false;
}

void auth_cache_add(const char *cred, uint64_t now_ms)
{
	uint8_t tag[TAG_LEN];
	struct cache_slot *set, *victim;
	size_t i;

	if (!cache_tag(cred, tag))
		return;
	set = cache_set(tag);
	victim = &set[0];
	for (i = 0; i < AUTH_CACHE_WAYS; i++) {
		if (CRYPTO_memcmp(set[i].tag, tag, TAG_LEN) == 0) {
			victim = &set[i];
			break;
		}
		if (set[i].expires_ms < victim->expires_ms)
			victim = &set[i];
	}
	memcpy(victim->tag, tag, TAG_LEN);
	victim->expires_ms = now_ms + AUTH_CACHE_TTL_MS;
}
