/* Unit test of QUIC interception's decision for a UDP flow (daemon/worker/quic_intercept.c)
 * where it needs no sockets: plain UDP is relayed at once, a client Initial is held until its
 * ClientHello is read, then relayed in order when the host is ignored or no connection can be
 * made (no trust setting was prepared here), and http3=false turns it off. The Initials are the
 * fuzz corpus's (RFC 9001 appendix A, gtlsclient's). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/hosts.h"
#include "worker/quic_intercept.h"
#include "worker/worker_ctx.h"

#define CORPUS "tests/fuzz/corpus/fuzz_quic_initial/"

static struct worker w;
static struct {
	uint8_t d[4][1500];
	size_t n[4], count;
} relayed;

static void to_client(void *arg, const uint8_t *d, size_t n)
{
	fail_msg("nothing is sent to the client without a connection");
}

static void relay(void *arg, const uint8_t *d, size_t n)
{
	assert_true(relayed.count < 4 && n <= sizeof(relayed.d[0]));
	memcpy(relayed.d[relayed.count], d, n);
	relayed.n[relayed.count++] = n;
}

static const struct qx_ops ops = {to_client, relay};

/* A corpus file's first datagram (a 2-byte length, then the bytes). */
static size_t corpus_datagram(const char *name, uint8_t *out, size_t cap)
{
	uint8_t buf[2048];
	FILE *f = fopen(name, "rb");
	size_t n, len;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 2);
	len = (size_t)buf[0] << 8 | buf[1];
	assert_true(len <= n - 2 && len <= cap);
	memcpy(out, buf + 2, len);
	return len;
}

static struct qx *flow(void)
{
	union sockaddr_any client, server;

	assert_int_equal(addr_parse_ip("10.1.0.2", 40000, &client), 0);
	assert_int_equal(addr_parse_ip("10.2.0.5", 443, &server), 0);
	memset(&relayed, 0, sizeof(relayed));
	return qx_new(0, &client, &server, &ops, NULL);
}

static int setup(void **state)
{
	memset(&w, 0, sizeof(w));
	w.opts.http3 = true;
	w.loop = loop_new();
	wk = &w;
	return w.loop ? 0 : -1;
}

static int teardown(void **state)
{
	loop_free(w.loop);
	wk = NULL;
	return 0;
}

static void test_plain_udp(void **state)
{
	static const uint8_t ping[] = "not quic";
	struct qx *x = flow();

	assert_non_null(x);
	assert_true(qx_client(x, ping, sizeof(ping))); /* read, then relayed through the ops */
	assert_int_equal(relayed.count, 1);
	assert_false(qx_client(x, ping, sizeof(ping))); /* the owner relays the next ones */
	assert_int_equal(relayed.count, 1);
	assert_false(qx_intercepted(x));
	qx_free(x);
}

/* The hello is read; without a trust setting no connection is made: relayed, held one first. */
static void test_initial_relayed_without_trust(void **state)
{
	uint8_t d[1500], later[] = {0x40, 1, 2, 3};
	size_t n = corpus_datagram(CORPUS "gtlsclient_initial", d, sizeof(d));
	struct qx *x = flow();

	assert_true(qx_client(x, d, n));
	assert_int_equal(relayed.count, 1);
	assert_int_equal(relayed.n[0], n);
	assert_memory_equal(relayed.d[0], d, n);
	assert_false(qx_intercepted(x));
	assert_false(qx_client(x, later, sizeof(later)));
	qx_free(x);
}

static void test_ignored_host(void **state)
{
	char *pattern = "^example\\.com";
	struct strlist src = {&pattern, 1};
	char err[128];
	uint8_t d[1500];
	size_t n = corpus_datagram(CORPUS "rfc_v1_initial", d, sizeof(d));
	struct qx *x;

	assert_int_equal(hosts_compile(&w.ignore_hosts, &src, err, sizeof(err)), 0);
	x = flow();
	assert_true(qx_client(x, d, n));
	assert_int_equal(relayed.count, 1);
	assert_memory_equal(relayed.d[0], d, n);
	qx_free(x);
	for (size_t i = 0; i < w.ignore_hosts.n; i++)
		regfree(&w.ignore_hosts.re[i]);
	free(w.ignore_hosts.re);
	memset(&w.ignore_hosts, 0, sizeof(w.ignore_hosts));
}

static void test_off(void **state)
{
	w.opts.http3 = false;
	assert_null(flow());
	w.opts.http3 = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_udp),
	    cmocka_unit_test(test_initial_relayed_without_trust),
	    cmocka_unit_test(test_ignored_host),
	    cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
