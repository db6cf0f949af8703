/* Unit tests for the worker's per-source tables (worker/src_table.c) and UDP reply limit
 * (worker/reply_limit.c): what a source is (IPv4 address, v4-mapped alike, IPv6 /64), the burst
 * then the rate, the first drop told once, other sources untouched, rate 0 = no limit, and a
 * table that never grows: a new source evicts the least recently used entry of its set. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "worker/client_policy.h"

static union sockaddr_any ip(const char *host, uint16_t port)
{
	union sockaddr_any a;

	assert_int_equal(addr_parse_ip(host, port, &a), 0);
	return a;
}

static bool same_source(const char *a, const char *b)
{
	union sockaddr_any x = ip(a, 1), y = ip(b, 2);
	uint8_t kx[SRC_KEY_LEN], ky[SRC_KEY_LEN];

	src_key(&x.sa, kx);
	src_key(&y.sa, ky);
	return memcmp(kx, ky, SRC_KEY_LEN) == 0;
}

static void test_source_keys(void **state)
{
	(void)state;
	assert_true(same_source("192.0.2.1", "192.0.2.1"));
	assert_true(same_source("192.0.2.1", "::ffff:192.0.2.1"));
	assert_false(same_source("192.0.2.1", "192.0.2.2"));
	assert_true(same_source("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"));
	assert_false(same_source("2001:db8:1:2::1", "2001:db8:1:3::1"));
	assert_false(same_source("0.0.0.1", "::1")); /* families never meet */
}

/* How many of n replies at now pass. */
static unsigned take_n(struct reply_limit *l, const char *host, unsigned n, uint64_t now)
{
	union sockaddr_any a = ip(host, 53);
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += reply_limit_take(l, &a.sa, now) == REPLY_OK;
	return ok;
}

static void test_burst_then_rate(void **state)
{
	struct reply_limit l;
	union sockaddr_any a = ip("198.51.100.7", 53);

	(void)state;
	reply_limit_init(&l, 5, 10, 64);
	assert_int_equal(take_n(&l, "198.51.100.7", 100, 1000), 10);
	/* 5 a second: 1 after 200 ms, 5 after another second, never more than the burst. */
	assert_int_equal(take_n(&l, "198.51.100.7", 100, 1199), 0);
	assert_int_equal(take_n(&l, "198.51.100.7", 100, 1200), 1);
	assert_int_equal(take_n(&l, "198.51.100.7", 100, 2200), 5);
	assert_int_equal(take_n(&l, "198.51.100.7", 100, 1000000), 10);
	/* The first drop is told once. */
	reply_limit_free(&l);
	reply_limit_init(&l, 1, 1, 64);
	assert_int_equal(reply_limit_take(&l, &a.sa, 0), REPLY_OK);
	assert_int_equal(reply_limit_take(&l, &a.sa, 0), REPLY_DROP_FIRST);
	assert_int_equal(reply_limit_take(&l, &a.sa, 0), REPLY_DROP);
	assert_int_equal(reply_limit_take(&l, &a.sa, 1000), REPLY_OK);
	assert_int_equal(reply_limit_take(&l, &a.sa, 1000), REPLY_DROP);
	reply_limit_free(&l);
}

static void test_sources_apart(void **state)
{
	struct reply_limit l;

	(void)state;
	reply_limit_init(&l, 5, 10, 64);
	assert_int_equal(take_n(&l, "198.51.100.7", 50, 0), 10);
	assert_int_equal(take_n(&l, "198.51.100.8", 50, 0), 10);
	assert_int_equal(take_n(&l, "::ffff:198.51.100.7", 50, 0), 0); /* the same source */
	assert_int_equal(take_n(&l, "2001:db8::1", 50, 0), 10);
	assert_int_equal(take_n(&l, "2001:db8::2", 50, 0), 0); /* the same /64 */
	reply_limit_free(&l);
}

static void test_rate_zero_no_limit(void **state)
{
	struct reply_limit l;

	(void)state;
	reply_limit_init(&l, 0, 0, 64);
	assert_int_equal(take_n(&l, "198.51.100.7", 10000, 0), 10000);
	reply_limit_free(&l);
}

/* One set of SRC_TABLE_WAYS entries: the fifth source evicts the least recently used. */
static void test_table_bounded_lru(void **state)
{
	struct src_table t;
	char host[32];
	bool fresh;
	union sockaddr_any a;
	size_t used;

	(void)state;
	src_table_init(&t, 1);
	assert_int_equal(t.nsets, 1);
	for (int i = 0; i < SRC_TABLE_WAYS; i++) {
		snprintf(host, sizeof(host), "192.0.2.%d", i);
		a = ip(host, 1);
		src_table_get(&t, &a.sa, 10 + (uint64_t)i, &fresh)->a = 100 + (uint64_t)i;
		assert_true(fresh);
	}
	a = ip("192.0.2.0", 1);
	assert_int_equal(src_table_get(&t, &a.sa, 50, &fresh)->a, 100); /* .0 is now the newest */
	assert_false(fresh);
	a = ip("192.0.2.99", 1);
	assert_int_equal(src_table_get(&t, &a.sa, 60, &fresh)->a, 0);
	assert_true(fresh);
	a = ip("192.0.2.1", 1); /* it was the least recently used: gone */
	src_table_get(&t, &a.sa, 70, &fresh);
	assert_true(fresh);
	a = ip("192.0.2.0", 1);
	assert_int_equal(src_table_get(&t, &a.sa, 80, &fresh)->a, 100);
	assert_false(fresh);
	src_table_free(&t);

	/* A flood of sources leaves the table its size. */
	src_table_init(&t, 1000);
	assert_int_equal(t.nsets * SRC_TABLE_WAYS, 1024);
	for (int i = 0; i < 100000; i++) {
		snprintf(host, sizeof(host), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		a = ip(host, 1);
		src_table_get(&t, &a.sa, (uint64_t)i, &fresh);
	}
	used = 0;
	for (size_t i = 0; i < t.nsets * SRC_TABLE_WAYS; i++)
		used += t.e[i].key[0] != 0;
	assert_int_equal(t.nsets * SRC_TABLE_WAYS, 1024);
	assert_int_equal(used, 1024); /* every set full, none larger */
	src_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_source_keys),	      cmocka_unit_test(test_burst_then_rate),
	    cmocka_unit_test(test_sources_apart),     cmocka_unit_test(test_rate_zero_no_limit),
	    cmocka_unit_test(test_table_bounded_lru),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
