/* Runs in a worker: failed proxy authentications per client address.  Each
 * address gets AUTH_LIMIT_BURST failures, then one more per
 * AUTH_LIMIT_REFILL_MS (a token bucket kept as the time its debt is paid,
 * "generic cell rate"); while it has none left its credentials are refused
 * without running the (bcrypt) check.  IPv6 addresses count by their /64,
 * which one client usually holds whole.  The table is fixed-size and
 * indexed by a hash seeded at random; a full set drops the address with
 * the least debt, so addresses that are refused stay tracked longest.
 * Many addresses each within their burst still cost the worker: a second
 * bucket, in microseconds of failed checking, bounds that for the worker
 * as a whole. */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/addr.h"
#include "worker/auth.h"

struct src_slot {
	struct auth_src src;
	uint64_t paid_ms;   /* debt paid at this time; <= now: no failures count */
	uint64_t logged_ms; /* last "too many failures" line; 0: none */
};

static struct src_slot slots[AUTH_LIMIT_SOURCES];
static uint32_t seed;
static bool seeded;
static uint64_t budget_paid_us, budget_logged_ms;

void auth_limit_reset(void)
{
	memset(slots, 0, sizeof(slots));
	budget_paid_us = budget_logged_ms = 0;
	seeded = RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1;
}

void auth_src_from_str(const char *client_str, struct auth_src *out)
{
	char host[ADDR_STRLEN];
	const char *colon = strrchr(client_str, ':');
	size_t n = colon ? (size_t)(colon - client_str) : 0;
	union sockaddr_any sa;

	memset(out, 0, sizeof(*out));
	if (n >= 2 && client_str[0] == '[' && client_str[n - 1] == ']') {
		client_str++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return;
	memcpy(host, client_str, n);
	host[n] = '\0';
	if (addr_parse_ip(host, 0, &sa) < 0)
		return;
	if (sa.sa.sa_family == AF_INET) {
		out->b[0] = 4;
		memcpy(out->b + 1, &sa.in4.sin_addr, 4);
	} else if (IN6_IS_ADDR_V4MAPPED(&sa.in6.sin6_addr)) {
		out->b[0] = 4;
		memcpy(out->b + 1, sa.in6.sin6_addr.s6_addr + 12, 4);
	} else {
		out->b[0] = 6;
		memcpy(out->b + 1, sa.in6.sin6_addr.s6_addr, 8);
	}
}

static struct src_slot *limit_set(const struct auth_src *src)
{
	uint32_t h;
	size_t i;

	if (!seeded)
		seeded = RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1;
	h = seeded ? seed : 2166136261u;

	for (i = 0; i < sizeof(src->b); i++)
		h = (h ^ src->b[i]) * 16777619u;
	h ^= h >> 15;
	return &slots[(h % (AUTH_LIMIT_SOURCES / AUTH_LIMIT_WAYS)) * AUTH_LIMIT_WAYS];
}

/* src's slot, or NULL; with create, a new one in place of the slot with
 * the least debt (an empty or paid-up one first). */
static struct src_slot *limit_find(const struct auth_src *src, uint64_t now_ms, bool create)
{
	struct src_slot *set = limit_set(src), *victim = &set[0];
	size_t i;

	for (i = 0; i < AUTH_LIMIT_WAYS; i++) {
		if (set[i].paid_ms > now_ms && memcmp(&set[i].src, src, sizeof(*src)) == 0)
			return &set[i];
		if (set[i].paid_ms < victim->paid_ms)
			victim = &set[i];
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->src = *src;
	return victim;
}

bool auth_limit_blocked(const struct auth_src *src, uint64_t now_ms, bool *log_now,
			unsigned *wait_s)
{
	const uint64_t allowed = (uint64_t)(AUTH_LIMIT_BURST - 1) * AUTH_LIMIT_REFILL_MS;
	struct src_slot *s = limit_find(src, now_ms, false);

	*log_now = false;
	*wait_s = 0;
	if (s == NULL || s->paid_ms - now_ms <= allowed)
		return false;
	*wait_s = (unsigned)((s->paid_ms - now_ms - allowed + 999) / 1000);
	if (s->logged_ms == 0 || now_ms - s->logged_ms >= AUTH_LIMIT_LOG_MS) {
		s->logged_ms = now_ms;
		*log_now = true;
	}
	return true;
}

void auth_limit_failed(const struct auth_src *src, uint64_t now_ms)
{
	struct src_slot *s = limit_find(src, now_ms, true);

	s->paid_ms = (s->paid_ms > now_ms ? s->paid_ms : now_ms) + AUTH_LIMIT_REFILL_MS;
}

bool auth_budget_blocked(uint64_t now_ms, bool *log_now, unsigned *wait_s)
{
	const uint64_t allowed = (uint64_t)AUTH_BUDGET_BURST_US * AUTH_BUDGET_FACTOR;
	uint64_t now_us = now_ms * 1000;

	*log_now = false;
	*wait_s = 0;
	if (budget_paid_us <= now_us || budget_paid_us - now_us <= allowed)
		return false;
	*wait_s = (unsigned)((budget_paid_us - now_us - allowed + 999999) / 1000000);
	if (budget_logged_ms == 0 || now_ms - budget_logged_ms >= AUTH_LIMIT_LOG_MS) {
		budget_logged_ms = now_ms;
		*log_now = true;
	}
	return true;
}

void auth_budget_spent(uint64_t now_ms, uint64_t cost_us)
{
	uint64_t now_us = now_ms * 1000;

	if (cost_us > AUTH_BUDGET_BURST_US)
		cost_us = AUTH_BUDGET_BURST_US; /* one check cannot block for longer */
	budget_paid_us =
	    (budget_paid_us > now_us ? budget_paid_us : now_us) + cost_us * AUTH_BUDGET_FACTOR;
}
