/* Unit tests for max_connections_per_source's table (worker/source_limit.c):
 * an IPv4 address and its v4-mapped form are one source, an IPv6 /64 is one
 * source, the cap refuses exactly the excess, a freed place is taken again,
 * many sources are counted apart and every slot is freed (LeakSanitizer);
 * and the once-a-minute log gate counts what it left out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "worker/accepting.h"

static union sockaddr_any ip(const char *s)
{
	union sockaddr_any a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.in4.sin_addr) == 1) {
		a.in4.sin_family = AF_INET;
		return a;
	}
	assert_int_equal(inet_pton(AF_INET6, s, &a.in6.sin6_addr), 1);
	a.in6.sin6_family = AF_INET6;
	return a;
}

static int take(const char *s, unsigned cap, struct src_slot **slot)
{
	union sockaddr_any a = ip(s);

	return srclimit_take(&a, cap, slot);
}

static void test_cap_off(void **state)
{
	struct src_slot *s = (struct src_slot *)1;

	assert_int_equal(take("10.0.0.1", 0, &s), 0);
	assert_null(s);
	srclimit_put(NULL);
}

static void test_ipv4_and_mapped(void **state)
{
	struct src_slot *a, *b, *c, *d;

	srclimit_init();
	assert_int_equal(take("10.0.0.1", 2, &a), 0);
	assert_int_equal(take("::ffff:10.0.0.1", 2, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(take("10.0.0.1", 2, &c), -EMFILE);
	assert_null(c);
	assert_int_equal(take("10.0.0.2", 2, &d), 0); /* another address */
	assert_ptr_not_equal(a, d);
	srclimit_put(b);
	assert_int_equal(take("10.0.0.1", 2, &c), 0); /* the freed place */
	assert_ptr_equal(a, c);
	srclimit_put(a);
	srclimit_put(c);
	srclimit_put(d);
}

static void test_ipv6_by_64(void **state)
{
	struct src_slot *a, *b, *c;

	assert_int_equal(take("2001:db8::1", 2, &a), 0);
	assert_int_equal(take("2001:db8::ffff:1234:5678:9abc", 2, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(take("2001:db8::2", 2, &c), -EMFILE); /* same /64 */
	assert_int_equal(take("2001:db8:0:1::1", 2, &c), 0);   /* the next /64 */
	assert_ptr_not_equal(a, c);
	srclimit_put(a);
	srclimit_put(b);
	srclimit_put(c);
}

static void test_many_sources(void **state)
{
	static struct src_slot *slots[20000];
	struct src_slot *extra;
	char buf[64];
	size_t i;

	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "10.%zu.%zu.1", i / 256, i % 256);
		assert_int_equal(take(buf, 1, &slots[i]), 0);
		snprintf(buf, sizeof(buf), "2001:db8:%zx::1", i);
		assert_int_equal(take(buf, 1, &slots[10000 + i]), 0);
	}
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "10.%zu.%zu.1", i / 256, i % 256);
		assert_int_equal(take(buf, 1, &extra), -EMFILE); /* each counted apart */
	}
	for (i = 0; i < 20000; i++)
		srclimit_put(slots[i]);
}

static void test_log_once(void **state)
{
	struct log_once lo = {0};
	unsigned skipped = 99;

	assert_true(log_once_due(&lo, 1000, &skipped));
	assert_int_equal(skipped, 0);
	assert_false(log_once_due(&lo, 1001, &skipped));
	assert_false(log_once_due(&lo, 60999, &skipped));
	assert_true(log_once_due(&lo, 61000, &skipped));
	assert_int_equal(skipped, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_off),    cmocka_unit_test(test_ipv4_and_mapped),
	    cmocka_unit_test(test_ipv6_by_64), cmocka_unit_test(test_many_sources),
	    cmocka_unit_test(test_log_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
