/* Unit test of what proxy authentication keeps (daemon/worker/auth_*.c and
 * htpasswd.c): the verified-credential cache (hits, other passwords miss,
 * expiry, reset, bounded table with the newest entries kept), the
 * per-source failure limit (burst, refill, one log line per period, IPv4
 * vs IPv6 /64 keys, a limited address not evicted by a flood of others),
 * the worker's budget for failed checks from all addresses, and bcrypt
 * entries of an htpasswd file read from fd 7. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <crypt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/auth.h"
#include "worker/htpasswd.h"
#include "worker/worker_ctx.h"

#define T0 1000000u /* a loop time well above zero */

static void test_cache_hit_miss(void **state)
{
	assert_int_equal(auth_cache_reset(), 0);
	assert_false(auth_cache_hit("alice:s3cret", T0));
	auth_cache_add("alice:s3cret", T0);
	assert_true(auth_cache_hit("alice:s3cret", T0));
	assert_true(auth_cache_hit("alice:s3cret", T0 + AUTH_CACHE_TTL_MS - 1));
	assert_false(auth_cache_hit("alice:s3creT", T0));
	assert_false(auth_cache_hit("alice:s3cret ", T0));
	assert_false(auth_cache_hit("alice:", T0));
	assert_false(auth_cache_hit("bob:s3cret", T0));
}

static void test_cache_expiry_and_reset(void **state)
{
	assert_int_equal(auth_cache_reset(), 0);
	auth_cache_add("alice:s3cret", T0);
	assert_false(auth_cache_hit("alice:s3cret", T0 + AUTH_CACHE_TTL_MS));
	/* A new verification starts a new period; a hit does not extend it. */
	auth_cache_add("alice:s3cret", T0 + 10);
	assert_true(auth_cache_hit("alice:s3cret", T0 + AUTH_CACHE_TTL_MS));
	assert_false(auth_cache_hit("alice:s3cret", T0 + 10 + AUTH_CACHE_TTL_MS));
	auth_cache_add("alice:s3cret", T0);
	assert_int_equal(auth_cache_reset(), 0);
	assert_false(auth_cache_hit("alice:s3cret", T0));
}

/* Many more credentials than slots: the table stays bounded, the newest
 * entry always hits and most of the last AUTH_CACHE_SLOTS / 4 do too. */
static void test_cache_bounded(void **state)
{
	char cred[32];
	unsigned i, hits = 0, recent = AUTH_CACHE_SLOTS / 4;
	const unsigned n = AUTH_CACHE_SLOTS * 8;

	assert_int_equal(auth_cache_reset(), 0);
	for (i = 0; i < n; i++) {
		snprintf(cred, sizeof(cred), "user%u:pw%u", i, i);
		auth_cache_add(cred, T0 + i);
		assert_true(auth_cache_hit(cred, T0 + i));
	}
	for (i = n - recent; i < n; i++) {
		snprintf(cred, sizeof(cred), "user%u:pw%u", i, i);
		hits += auth_cache_hit(cred, T0 + n);
	}
	assert_true(hits > recent / 2);
	for (i = 0, hits = 0; i < AUTH_CACHE_SLOTS; i++) {
		snprintf(cred, sizeof(cred), "user%u:pw%u", i, i);
		hits += auth_cache_hit(cred, T0 + n);
	}
	assert_int_equal(hits, 0); /* the oldest are gone */
}

static void src(const char *s, struct auth_src *out)
{
	auth_src_from_str(s, out);
}

static void test_src_keys(void **state)
{
	struct auth_src a, b;

	src("192.0.2.1:1000", &a);
	src("192.0.2.1:2000", &b);
	assert_int_equal(a.b[0], 4);
	assert_memory_equal(&a, &b, sizeof(a)); /* ports do not count */
	src("192.0.2.2:1000", &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
	src("[::ffff:192.0.2.1]:5", &b);
	assert_memory_equal(&a, &b, sizeof(a));
	src("[2001:db8:1:2::1]:5", &a);
	src("[2001:db8:1:2:ffff::7]:6", &b);
	assert_int_equal(a.b[0], 6);
	assert_memory_equal(&a, &b, sizeof(a)); /* one /64 */
	src("[2001:db8:1:3::1]:5", &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
	src("garbage", &a);
	assert_int_equal(a.b[0], 0);
	src("[]:1", &a);
	assert_int_equal(a.b[0], 0);
	src(":1", &a);
	assert_int_equal(a.b[0], 0);
}

static bool blocked(const struct auth_src *s, uint64_t now, bool *log_now)
{
	unsigned wait_s;

	return auth_limit_blocked(s, now, log_now, &wait_s);
}

static void test_limit_burst_refill_log(void **state)
{
	struct auth_src a, b;
	bool log_now;
	unsigned i, wait_s;

	auth_limit_reset();
	src("192.0.2.1:1", &a);
	src("192.0.2.9:1", &b);
	for (i = 0; i < AUTH_LIMIT_BURST; i++) {
		assert_false(blocked(&a, T0, &log_now));
		auth_limit_failed(&a, T0);
	}
	assert_true(auth_limit_blocked(&a, T0, &log_now, &wait_s));
	assert_true(log_now);
	assert_int_equal(wait_s, AUTH_LIMIT_REFILL_MS / 1000);
	assert_true(blocked(&a, T0 + 1, &log_now));
	assert_false(log_now); /* once per period */
	assert_false(blocked(&b, T0, &log_now));
	/* One more try after a refill, then blocked again. */
	assert_true(blocked(&a, T0 + AUTH_LIMIT_REFILL_MS - 1, &log_now));
	assert_false(blocked(&a, T0 + AUTH_LIMIT_REFILL_MS, &log_now));
	auth_limit_failed(&a, T0 + AUTH_LIMIT_REFILL_MS);
	assert_true(blocked(&a, T0 + AUTH_LIMIT_REFILL_MS, &log_now));
	assert_false(log_now);
	/* Keep failing for a minute: logged again once the period is over. */
	for (i = 1; i <= AUTH_LIMIT_LOG_MS / AUTH_LIMIT_REFILL_MS; i++)
		auth_limit_failed(&a, T0 + AUTH_LIMIT_REFILL_MS + i * AUTH_LIMIT_REFILL_MS);
	assert_true(blocked(&a, T0 + AUTH_LIMIT_LOG_MS + AUTH_LIMIT_REFILL_MS, &log_now));
	assert_true(log_now);
}

static void test_limit_idle_forgets(void **state)
{
	struct auth_src a;
	bool log_now;
	unsigned i;

	auth_limit_reset();
	src("[2001:db8::1]:1", &a);
	for (i = 0; i < AUTH_LIMIT_BURST; i++)
		auth_limit_failed(&a, T0);
	assert_true(blocked(&a, T0, &log_now));
	/* After BURST refills the address has its whole burst again. */
	for (i = 0; i < AUTH_LIMIT_BURST; i++) {
		assert_false(blocked(&a, T0 + AUTH_LIMIT_BURST * AUTH_LIMIT_REFILL_MS, &log_now));
		auth_limit_failed(&a, T0 + AUTH_LIMIT_BURST * AUTH_LIMIT_REFILL_MS);
	}
	assert_true(blocked(&a, T0 + AUTH_LIMIT_BURST * AUTH_LIMIT_REFILL_MS, &log_now));
	/* Another address in the same /64 shares the count. */
	src("[2001:db8::2]:1", &a);
	assert_true(blocked(&a, T0 + AUTH_LIMIT_BURST * AUTH_LIMIT_REFILL_MS, &log_now));
}

/* A flood of single failures from many other addresses (more than the
 * table holds) evicts them, not the address that is being refused. */
static void test_limit_flood_keeps_limited(void **state)
{
	struct auth_src a, o;
	char s[32];
	bool log_now;
	unsigned i;

	auth_limit_reset();
	src("198.51.100.7:1", &a);
	for (i = 0; i < AUTH_LIMIT_BURST; i++)
		auth_limit_failed(&a, T0);
	for (i = 0; i < AUTH_LIMIT_SOURCES * 8; i++) {
		snprintf(s, sizeof(s), "10.%u.%u.%u:1", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		src(s, &o);
		auth_limit_failed(&o, T0 + 1);
	}
	assert_true(blocked(&a, T0 + 2, &log_now));
}

/* Failed checks from many addresses, each within its own burst, use up
 * the worker's budget (2 s of checking, then 10% of the time). */
static void test_budget(void **state)
{
	const uint64_t cost_us = 250 * 1000; /* a bcrypt of cost 12 */
	const unsigned burst = AUTH_BUDGET_BURST_US / cost_us;
	bool log_now;
	unsigned i, wait_s;

	auth_limit_reset();
	for (i = 0; i <= burst; i++) {
		assert_false(auth_budget_blocked(T0, &log_now, &wait_s));
		auth_budget_spent(T0, cost_us);
	}
	assert_true(auth_budget_blocked(T0, &log_now, &wait_s));
	assert_true(log_now);
	assert_int_equal(wait_s, (cost_us * AUTH_BUDGET_FACTOR + 999999) / 1000000);
	assert_true(auth_budget_blocked(T0 + 1, &log_now, &wait_s));
	assert_false(log_now);
	/* Paid back at AUTH_BUDGET_FACTOR times the cost: one more check. */
	assert_true(
	    auth_budget_blocked(T0 + cost_us * AUTH_BUDGET_FACTOR / 1000 - 1, &log_now, &wait_s));
	assert_false(
	    auth_budget_blocked(T0 + cost_us * AUTH_BUDGET_FACTOR / 1000, &log_now, &wait_s));
	/* One very slow check blocks no longer than the burst. */
	auth_limit_reset();
	auth_budget_spent(T0, 60ull * 1000 * 1000);
	assert_false(auth_budget_blocked(T0, &log_now, &wait_s));
	auth_budget_spent(T0, 1);
	assert_true(auth_budget_blocked(T0, &log_now, &wait_s));
	assert_false(auth_budget_blocked(
	    T0 + 1 + (AUTH_BUDGET_BURST_US / 1000) * AUTH_BUDGET_FACTOR, &log_now, &wait_s));
}

/* htpasswd_load reads fd 7; bcrypt entries check, and a load empties the cache. */
static void test_htpasswd_bcrypt(void **state)
{
	char path[] = "/tmp/snare-htpasswd-XXXXXX", salt[64], line[256];
	const char *hash;
	struct crypt_data cd;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)));
	memset(&cd, 0, sizeof(cd));
	hash = crypt_r("s3cret", salt, &cd);
	assert_non_null(hash);
	snprintf(line, sizeof(line), "# comment\nalice:%s\r\nnohash\n", hash);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	assert_int_equal(dup2(fd, WORKER_HTPASSWD_FD), WORKER_HTPASSWD_FD);
	close(fd);
	unlink(path);
	auth_cache_add("alice:old", T0);
	assert_int_equal(htpasswd_load(), 0);
	assert_false(auth_cache_hit("alice:old", T0));
	assert_true(htpasswd_check("alice:s3cret"));
	assert_false(htpasswd_check("alice:s3cre"));
	assert_false(htpasswd_check("alice:s3cret\n"));
	assert_false(htpasswd_check("bob:s3cret"));
	assert_false(htpasswd_check("alice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_hit_miss),
	    cmocka_unit_test(test_cache_expiry_and_reset),
	    cmocka_unit_test(test_cache_bounded),
	    cmocka_unit_test(test_src_keys),
	    cmocka_unit_test(test_limit_burst_refill_log),
	    cmocka_unit_test(test_limit_idle_forgets),
	    cmocka_unit_test(test_limit_flood_keeps_limited),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_htpasswd_bcrypt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
