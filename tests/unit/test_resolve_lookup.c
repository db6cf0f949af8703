/* Unit tests for the resolve module, run as one process: a fake DNS server
 * on 127.0.0.1 shares the test's epoll loop with the resolver.  No traffic
 * leaves the loopback interface. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "resolve/resolve.h"

#define RCODE_NXDOMAIN 3
#define RCODE_SERVFAIL 2
#define RCODE_REFUSED 5
#define T_A_ 1
#define T_AAAA_ 28

struct fake_dns {
	struct loop_io io;
	uint16_t port;
	unsigned queries;
};

struct result {
	int calls;
	int status;
	size_t n;
	struct sockaddr_storage addrs[2 * RESOLVE_MAX_PER_FAMILY];
};

struct env {
	struct loop *l;
	struct fake_dns dns;
	struct resolver *r;
	int outstanding;
	struct loop_timer guard;
	bool guard_fired;
};

static struct env *g_env;

/* ---- the fake server: answers by the first label of the name ---- */

struct answer {
	int rcode; /* -1: never answer */
	size_t n;
	unsigned char addr[32][16];
};

static void answer_add(struct answer *a, int family, const char *text)
{
	assert_int_equal(inet_pton(family, text, a->addr[a->n]), 1);
	a->n++;
}

static void answer_for(const char *label, int qtype, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	if (strcmp(label, "v4") == 0 && qtype == T_A_) {
		answer_add(a, AF_INET, "192.0.2.1");
		answer_add(a, AF_INET, "192.0.2.2");
	} else if (strcmp(label, "v6") == 0 && qtype == T_AAAA_) {
		answer_add(a, AF_INET6, "2001:db8::1");
	} else if (strcmp(label, "dual") == 0) {
		answer_add(a, qtype == T_A_ ? AF_INET : AF_INET6,
			   qtype == T_A_ ? "192.0.2.10" : "2001:db8::10");
		answer_add(a, qtype == T_A_ ? AF_INET : AF_INET6,
			   qtype == T_A_ ? "192.0.2.11" : "2001:db8::11");
	} else if (strcmp(label, "big") == 0 && qtype == T_A_) {
		for (a->n = 0; a->n < 24; a->n++)
			memcpy(a->addr[a->n], (unsigned char[]){198, 51, 100, (unsigned char)a->n},
			       4);
	} else if (label[0] == 'p' && isdigit((unsigned char)label[1]) && qtype == T_A_) {
		unsigned i = (unsigned)atoi(label + 1);

		memcpy(a->addr[a->n++],
		       (unsigned char[]){198, 18, (unsigned char)(i >> 8), (unsigned char)i}, 4);
	} else if (strcmp(label, "fail") == 0) {
		a->rcode = RCODE_SERVFAIL;
	} else if (strcmp(label, "refused") == 0) {
		a->rcode = RCODE_REFUSED;
	} else if (strcmp(label, "drop") == 0) {
		a->rcode = -1;
	} else if (strcmp(label, "v4") != 0 && strcmp(label, "v6") != 0 &&
		   !(label[0] == 'p' && isdigit((unsigned char)label[1])) &&
		   strcmp(label, "big") != 0) {
		a->rcode = RCODE_NXDOMAIN; /* "nx" and every unknown name */
	}
}

/* Returns the offset after the question, or 0; the first label in label. */
static size_t parse_question(const unsigned char *p, size_t len, char *label, int *qtype)
{
	size_t off = 12;

	label[0] = '\0';
	if (len < 12 || p[4] != 0 || p[5] != 1)
		return 0;
	while (off < len && p[off] != 0) {
		size_t l = p[off];

		if (l > 63 || off + 1 + l >= len)
			return 0;
		if (label[0] == '\0') {
			for (size_t i = 0; i < l; i++)
				label[i] = (char)tolower(p[off + 1 + i]);
			label[l] = '\0';
		}
		off += 1 + l;
	}
	if (off + 5 > len)
		return 0;
	*qtype = p[off + 1] << 8 | p[off + 2];
	return off + 5;
}

static size_t build_answer(unsigned char *out, const unsigned char *q, size_t qend, int qtype,
			   const struct answer *a)
{
	size_t off = qend, i, alen = qtype == T_A_ ? 4 : 16;

	memcpy(out, q, qend);
	out[2] = 0x80 | (q[2] & 0x01);		 /* QR, RD copied */
	out[3] = 0x80 | (unsigned char)a->rcode; /* RA */
	out[6] = 0;
	out[7] = (unsigned char)a->n;
	memset(out + 8, 0, 4);
	for (i = 0; i < a->n; i++) {
		unsigned char rr[12] = {0xc0, 12, 0, (unsigned char)qtype, 0, 1, 0, 0,
					0,    60, 0, (unsigned char)alen};

		memcpy(out + off, rr, sizeof(rr));
		memcpy(out + off + sizeof(rr), a->addr[i], alen);
		off += sizeof(rr) + alen;
	}
	return off;
}

static void fake_dns_on_io(struct loop_io *io, uint32_t events)
{
	struct fake_dns *d = io->arg;
	unsigned char q[512], out[1024];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(io->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl)) > 0) {
		char label[64];
		int qtype = 0;
		size_t qend = parse_question(q, (size_t)n, label, &qtype);
		struct answer a;

		d->queries++;
		if (qend == 0)
			continue;
		answer_for(label, qtype, &a);
		if (a.rcode >= 0)
			sendto(io->fd, out, build_answer(out, q, qend, qtype, &a), 0,
			       (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

static void fake_dns_start(struct loop *l, struct fake_dns *d)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	int rcvbuf = 4 << 20;

	assert_true(fd >= 0);
	/* The parallel test sends its queries in one burst. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	d->port = ntohs(sin.sin_port);
	d->queries = 0;
	loop_io_init(&d->io, fd, fake_dns_on_io, d);
	assert_int_equal(loop_io_set(l, &d->io, EPOLLIN), 0);
}

/* ---- harness ---- */

static void on_guard(struct loop_timer *t)
{
	struct env *e = t->arg;

	e->guard_fired = true;
	loop_stop(e->l);
}

static struct resolver *new_resolver(struct env *e, struct resolve_opts *o)
{
	char server[32];
	const char *servers[1] = {server};
	struct resolver *r = NULL;

	snprintf(server, sizeof(server), "127.0.0.1:%u", e->dns.port);
	o->name_servers = servers;
	o->n_name_servers = 1;
	assert_int_equal(resolver_new(e->l, o, &r), 0);
	assert_non_null(r);
	o->name_servers = NULL;
	return r;
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct resolve_opts o = {.timeout_ms = 600};

	e->l = loop_new();
	assert_non_null(e->l);
	loop_timer_init(&e->guard, on_guard, e);
	fake_dns_start(e->l, &e->dns);
	e->r = new_resolver(e, &o);
	g_env = e;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	resolver_free(e->r);
	loop_io_del(e->l, &e->dns.io);
	close(e->dns.io.fd);
	loop_timer_cancel(e->l, &e->guard);
	loop_free(e->l);
	free(e);
	return 0;
}

static void on_result(void *arg, int status, const struct sockaddr_storage *addrs, size_t n)
{
	struct result *res = arg;

	res->calls++;
	res->status = status;
	res->n = n;
	assert_true(n <= ARRAY_SIZE(res->addrs));
	assert_true((status == 0) == (n > 0));
	assert_true((addrs != NULL) == (n > 0));
	if (n > 0)
		memcpy(res->addrs, addrs, n * sizeof(*addrs));
	if (--g_env->outstanding == 0)
		loop_stop(g_env->l);
}

static void start(struct env *e, const char *host, uint16_t port, int family, struct result *res)
{
	memset(res, 0, sizeof(*res));
	assert_non_null(resolve_start(e->r, host, port, family, on_result, res));
	e->outstanding++;
	assert_int_equal(res->calls, 0); /* never synchronously */
}

static void run_until_done(struct env *e)
{
	e->guard_fired = false;
	loop_timer_arm(e->l, &e->guard, 10000);
	assert_int_equal(loop_run(e->l), 0);
	loop_timer_cancel(e->l, &e->guard);
	assert_false(e->guard_fired);
	assert_int_equal(e->outstanding, 0);
}

static void run_for(struct env *e, uint64_t ms)
{
	loop_timer_arm(e->l, &e->guard, ms);
	assert_int_equal(loop_run(e->l), 0);
}

static void assert_addr(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		a = &in->sin_addr;
		assert_int_equal(ntohs(in->sin_port), port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		assert_int_equal(ss->ss_family, AF_INET6);
		a = &in6->sin6_addr;
		assert_int_equal(ntohs(in6->sin6_port), port);
	}
	assert_non_null(inet_ntop(ss->ss_family, a, buf, sizeof(buf)));
	assert_string_equal(buf, ip);
}

/* ---- tests ---- */

static void test_a(void **state)
{
	struct env *e = *state;
	struct result res;

	start(e, "v4.test", 443, AF_INET, &res);
	run_until_done(e);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.n, 2);
	assert_addr(&res.addrs[0], "192.0.2.1", 443);
	assert_addr(&res.addrs[1], "192.0.2.2", 443);
	assert_int_equal(e->dns.queries, 1);
}

static void test_aaaa(void **state)
{
	struct env *e = *state;
	struct result res;

	start(e, "v6.test", 80, AF_INET6, &res);
	run_until_done(e);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.n, 1);
	assert_addr(&res.addrs[0], "2001:db8::1", 80);
}

static void test_unspec_interleaves(void **state)
{
	struct env *e = *state;
	struct result both, v4only;

	start(e, "dual.test", 8443, AF_UNSPEC, &both);
	start(e, "v4.test", 1, AF_UNSPEC, &v4only);
	run_until_done(e);
	assert_int_equal(both.status, 0);
	assert_int_equal(both.n, 4);
	assert_addr(&both.addrs[0], "2001:db8::10", 8443);
	assert_addr(&both.addrs[1], "192.0.2.10", 8443);
	assert_addr(&both.addrs[2], "2001:db8::11", 8443);
	assert_addr(&both.addrs[3], "192.0.2.11", 8443);
	/* AAAA has no data, A has: the addresses win. */
	assert_int_equal(v4only.status, 0);
	assert_int_equal(v4only.n, 2);
	assert_addr(&v4only.addrs[0], "192.0.2.1", 1);
	assert_int_equal(e->dns.queries, 4);
}

static void test_nodata_nxdomain_servfail(void **state)
{
	struct env *e = *state;
	struct result nodata, nx, nx4, fail, refused;

	start(e, "v4.test", 80, AF_INET6, &nodata);
	start(e, "nx.test", 80, AF_UNSPEC, &nx);
	start(e, "nx.test", 80, AF_INET, &nx4);
	start(e, "fail.test", 80, AF_INET, &fail);
	start(e, "refused.test", 80, AF_UNSPEC, &refused);
	run_until_done(e);
	assert_int_equal(nodata.status, -ENODATA);
	assert_int_equal(nodata.n, 0);
	assert_int_equal(nx.status, -ENOENT);
	assert_int_equal(nx4.status, -ENOENT);
	assert_int_equal(fail.status, -EIO);
	assert_int_equal(refused.status, -EIO);
}

static void test_timeout(void **state)
{
	struct env *e = *state;
	struct result res;
	uint64_t t0 = clock_ms(), dt;

	start(e, "drop.test", 80, AF_INET, &res);
	run_until_done(e);
	dt = clock_ms() - t0;
	assert_int_equal(res.status, -ETIMEDOUT);
	assert_true(dt >= 300);
	assert_true(dt < 2000);		  /* the bound is 600 ms */
	assert_true(e->dns.queries >= 2); /* retried */
}

static void test_big_answer_is_capped(void **state)
{
	struct env *e = *state;
	struct result res;

	start(e, "big.test", 80, AF_UNSPEC, &res);
	run_until_done(e);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.n, RESOLVE_MAX_PER_FAMILY);
	assert_addr(&res.addrs[0], "198.51.100.0", 80);
	assert_addr(&res.addrs[15], "198.51.100.15", 80);
}

static void test_ip_literals(void **state)
{
	struct env *e = *state;
	struct result v4, v6, br, v4_as_v6, lo6;

	start(e, "192.0.2.99", 8080, AF_UNSPEC, &v4);
	start(e, "2001:db8::5", 443, AF_INET6, &v6);
	start(e, "[2001:db8::6]", 444, AF_UNSPEC, &br);
	start(e, "10.0.0.1", 80, AF_INET6, &v4_as_v6);
	start(e, "::1", 22, AF_INET6, &lo6);
	run_until_done(e);
	assert_int_equal(v4.status, 0);
	assert_int_equal(v4.n, 1);
	assert_addr(&v4.addrs[0], "192.0.2.99", 8080);
	assert_addr(&v6.addrs[0], "2001:db8::5", 443);
	assert_int_equal(br.n, 1);
	assert_addr(&br.addrs[0], "2001:db8::6", 444);
	assert_int_equal(v4_as_v6.status, -ENODATA);
	assert_addr(&lo6.addrs[0], "::1", 22);
	assert_int_equal(e->dns.queries, 0);
}

static void test_localhost(void **state)
{
	struct env *e = *state;
	struct result both, v4, sub;

	start(e, "localhost", 3000, AF_UNSPEC, &both);
	start(e, "LocalHost.", 3001, AF_INET, &v4);
	start(e, "app.localhost", 3002, AF_INET6, &sub);
	run_until_done(e);
	assert_int_equal(both.n, 2);
	assert_addr(&both.addrs[0], "::1", 3000);
	assert_addr(&both.addrs[1], "127.0.0.1", 3000);
	assert_int_equal(v4.n, 1);
	assert_addr(&v4.addrs[0], "127.0.0.1", 3001);
	assert_int_equal(sub.n, 1);
	assert_addr(&sub.addrs[0], "::1", 3002);
	assert_int_equal(e->dns.queries, 0);
}

static char *write_hosts(void)
{
	char *path = xstrdup("/tmp/snare-test-hosts-XXXXXX");
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "# a comment\n\n"
		   "192.0.2.50\tmyhost.test alias.test  # trailing comment\n"
		   "2001:db8::50 myhost.test\n"
		   "192.0.2.77 v4.test\n"
		   "127.0.0.2 localhost\n"
		   "not-an-ip ignored.test\n"
		   "192.0.2.51 bad..name myhost.test\n");
	for (int i = 0; i < 2000; i++)
		fputc('x', f);
	fprintf(f, " overlong.test\n192.0.2.52 last.test");
	fclose(f);
	return path;
}

static void test_hosts_file(void **state)
{
	struct env *e = *state;
	struct resolve_opts o = {.use_hosts_file = true, .timeout_ms = 600};
	struct result both, alias, hosts_v4, dns_v6, lo, bad, last, over;
	char *path = write_hosts();

	o.hosts_path = path;
	resolver_free(e->r);
	e->r = new_resolver(e, &o);
	/* Read at start-up: the file is not needed afterwards. */
	assert_int_equal(unlink(path), 0);
	start(e, "myhost.test", 80, AF_UNSPEC, &both);
	start(e, "ALIAS.test.", 81, AF_INET, &alias);
	start(e, "v4.test", 82, AF_INET, &hosts_v4);
	start(e, "v4.test", 83, AF_INET6, &dns_v6);
	start(e, "localhost", 84, AF_INET, &lo);
	start(e, "ignored.test", 85, AF_INET, &bad);
	start(e, "last.test", 86, AF_INET, &last);
	start(e, "overlong.test", 87, AF_INET, &over);
	run_until_done(e);
	assert_int_equal(both.n, 3);
	assert_addr(&both.addrs[0], "2001:db8::50", 80);
	assert_addr(&both.addrs[1], "192.0.2.50", 80);
	assert_addr(&both.addrs[2], "192.0.2.51", 80);
	assert_int_equal(alias.n, 1);
	assert_addr(&alias.addrs[0], "192.0.2.50", 81);
	assert_int_equal(hosts_v4.n, 1);
	assert_addr(&hosts_v4.addrs[0], "192.0.2.77", 82);
	assert_int_equal(dns_v6.status, -ENODATA); /* not in the file: asked DNS */
	assert_addr(&lo.addrs[0], "127.0.0.2", 84);
	assert_int_equal(bad.status, -ENOENT);
	assert_addr(&last.addrs[0], "192.0.2.52", 86);
	assert_int_equal(over.status, -ENOENT);
	assert_int_equal(e->dns.queries, 3); /* v4.test AAAA, ignored, overlong */
	free(path);
}

static void test_hosts_file_off_or_missing(void **state)
{
	struct env *e = *state;
	struct resolve_opts o = {.use_hosts_file = false, .timeout_ms = 600};
	struct result off, missing;
	char *path = write_hosts();

	o.hosts_path = path;
	resolver_free(e->r);
	e->r = new_resolver(e, &o);
	start(e, "myhost.test", 80, AF_INET, &off);
	run_until_done(e);
	assert_int_equal(off.status, -ENOENT);
	assert_int_equal(unlink(path), 0);
	resolver_free(e->r);
	o.use_hosts_file = true;
	e->r = new_resolver(e, &o); /* a missing file is an empty one */
	start(e, "myhost.test", 80, AF_INET, &missing);
	run_until_done(e);
	assert_int_equal(missing.status, -ENOENT);
	assert_int_equal(e->dns.queries, 2);
	free(path);
}

static void test_cancel(void **state)
{
	struct env *e = *state;
	struct result a, b, c, d;
	struct resolve_req *q[3];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	q[0] = resolve_start(e->r, "v4.test", 80, AF_UNSPEC, on_result, &a);
	q[1] = resolve_start(e->r, "drop.test", 80, AF_INET, on_result, &b);
	q[2] = resolve_start(e->r, "192.0.2.1", 80, AF_INET, on_result, &c);
	for (int i = 0; i < 3; i++) {
		assert_non_null(q[i]);
		resolve_cancel(q[i]);
	}
	start(e, "v6.test", 80, AF_INET6, &d); /* others still work */
	run_until_done(e);
	run_for(e, 800); /* past the deadline of the dropped query */
	assert_int_equal(a.calls + b.calls + c.calls, 0);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, 0);
	assert_true(e->dns.queries >= 4); /* the cancelled queries were sent and answered */
}

struct par {
	struct result res;
	unsigned i;
};

static void test_many_parallel(void **state)
{
	struct env *e = *state;
	enum { N = 1000 };
	struct par *p = xcalloc(N, sizeof(*p));
	char name[32];
	unsigned i;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "p%u.test", i);
		p[i].i = i;
		start(e, name, (uint16_t)(i + 1), AF_INET, &p[i].res);
	}
	run_until_done(e);
	for (i = 0; i < N; i++) {
		char want[32];

		snprintf(want, sizeof(want), "198.18.%u.%u", i >> 8, i & 255);
		assert_int_equal(p[i].res.calls, 1);
		assert_int_equal(p[i].res.status, 0);
		assert_int_equal(p[i].res.n, 1);
		assert_addr(&p[i].res.addrs[0], want, (uint16_t)(i + 1));
	}
	free(p);
}

static void test_limit(void **state)
{
	struct env *e = *state;
	struct result *res = xcalloc(RESOLVE_MAX_PENDING + 1, sizeof(*res));
	size_t i, calls = 0;

	for (i = 0; i < RESOLVE_MAX_PENDING; i++)
		start(e, "192.0.2.1", 80, AF_INET, &res[i]);
	errno = 0;
	assert_null(resolve_start(e->r, "192.0.2.1", 80, AF_INET, on_result, &res[i]));
	assert_int_equal(errno, EAGAIN);
	run_until_done(e);
	for (i = 0; i < RESOLVE_MAX_PENDING; i++)
		calls += (size_t)res[i].calls;
	assert_int_equal(calls, RESOLVE_MAX_PENDING);
	start(e, "192.0.2.1", 80, AF_INET, &res[0]);
	run_until_done(e);
	free(res);
}

static void test_free_with_pending(void **state)
{
	struct env *e = *state;
	struct result a, b, c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	assert_non_null(resolve_start(e->r, "drop.test", 80, AF_UNSPEC, on_result, &a));
	assert_non_null(resolve_start(e->r, "v4.test", 80, AF_INET, on_result, &b));
	assert_non_null(resolve_start(e->r, "::1", 80, AF_INET6, on_result, &c));
	resolver_free(e->r);
	e->r = NULL;
	run_for(e, 200);
	assert_int_equal(a.calls + b.calls + c.calls, 0);
}

static void on_result_free_resolver(void *arg, int status, const struct sockaddr_storage *addrs,
				    size_t n)
{
	on_result(arg, status, addrs, n);
	resolver_free(g_env->r);
	g_env->r = NULL;
	loop_stop(g_env->l);
}

static void test_free_inside_callback(void **state)
{
	struct env *e = *state;
	struct result first, other, lit;

	memset(&first, 0, sizeof(first));
	memset(&other, 0, sizeof(other));
	memset(&lit, 0, sizeof(lit));
	assert_non_null(
	    resolve_start(e->r, "v4.test", 80, AF_UNSPEC, on_result_free_resolver, &first));
	assert_non_null(resolve_start(e->r, "drop.test", 80, AF_INET, on_result, &other));
	e->outstanding = 1;
	run_until_done(e);
	assert_int_equal(first.calls, 1);
	assert_int_equal(first.status, 0);
	run_for(e, 700);
	assert_int_equal(other.calls, 0);
}

static void on_result_chain(void *arg, int status, const struct sockaddr_storage *addrs, size_t n)
{
	struct result *res = arg;

	assert_non_null(resolve_start(g_env->r, "v6.test", 53, AF_INET6, on_result, &res[1]));
	g_env->outstanding++;
	on_result(arg, status, addrs, n);
}

static void test_start_inside_callback(void **state)
{
	struct env *e = *state;
	struct result res[2];

	memset(res, 0, sizeof(res));
	assert_non_null(resolve_start(e->r, "v4.test", 80, AF_INET, on_result_chain, res));
	e->outstanding = 1;
	run_until_done(e);
	assert_int_equal(res[0].calls, 1);
	assert_int_equal(res[0].status, 0);
	assert_int_equal(res[1].calls, 1);
	assert_addr(&res[1].addrs[0], "2001:db8::1", 53);
}

static void test_bad_input(void **state)
{
	struct env *e = *state;
	struct resolver *r = NULL;
	struct result empty, space, dots, longlabel;
	const char *bad[] = {"nonsense", "127.0.0.1:0",	  "127.0.0.1:70000", "[::1",
			     "[::1]x",	 "127.0.0.1:53x", "1.2.3.4.5"};
	const char *good[] = {"[::1]:5353", "::1", "127.0.0.1"};
	const char *nine[9] = {"127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
			       "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"};
	struct resolve_opts o = {0};
	char label[80];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		o.name_servers = &bad[i];
		o.n_name_servers = 1;
		assert_int_equal(resolver_new(e->l, &o, &r), -EINVAL);
		assert_null(r);
	}
	o.name_servers = nine;
	o.n_name_servers = ARRAY_SIZE(nine);
	assert_int_equal(resolver_new(e->l, &o, &r), -EINVAL);
	o.name_servers = good;
	o.n_name_servers = ARRAY_SIZE(good);
	assert_int_equal(resolver_new(e->l, &o, &r), 0);
	resolver_free(r);

	errno = 0;
	assert_null(resolve_start(e->r, "v4.test", 80, AF_UNIX, on_result, &empty));
	assert_int_equal(errno, EINVAL);
	memset(label, 'a', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	start(e, "", 80, AF_INET, &empty);
	start(e, "bad name.test", 80, AF_INET, &space);
	start(e, "a..b", 80, AF_UNSPEC, &dots);
	start(e, label, 80, AF_INET, &longlabel);
	run_until_done(e);
	assert_int_equal(empty.status, -ENOENT);
	assert_int_equal(space.status, -ENOENT);
	assert_int_equal(dots.status, -ENOENT);
	assert_int_equal(longlabel.status, -ENOENT);
	assert_int_equal(e->dns.queries, 0);
}

/* After start-up a worker's seccomp filter forbids opening files: nothing in
 * a lookup may need to (no hosts file, no HOSTALIASES, no resolv.conf). */
static int deny_open(void)
{
	const char *calls[] = {"open", "openat", "openat2", "creat", "stat", "newfstatat"};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err = ctx == NULL ? -ENOMEM : 0;

	for (size_t i = 0; err == 0 && i < ARRAY_SIZE(calls); i++) {
		int nr = seccomp_syscall_resolve_name(calls[i]);

		if (nr != __NR_SCMP_ERROR)
			err = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
	}
	if (err == 0)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

static int sandboxed_child(void **state)
{
	struct env *e = *state;
	struct resolve_opts o = {.use_hosts_file = true, .timeout_ms = 600};
	struct result dns, bare, hosts, lo, nx, lit;
	char *path = write_hosts();

	setenv("HOSTALIASES", path, 1);
	o.hosts_path = path;
	resolver_free(e->r);
	e->r = new_resolver(e, &o);
	unlink(path);
	if (deny_open() < 0)
		return 10;
	start(e, "dual.test", 1, AF_UNSPEC, &dns);
	start(e, "v4", 2, AF_INET, &bare);
	start(e, "myhost.test", 3, AF_INET, &hosts);
	start(e, "localhost", 4, AF_INET6, &lo);
	start(e, "nx.test", 5, AF_UNSPEC, &nx);
	start(e, "192.0.2.1", 6, AF_INET, &lit);
	run_until_done(e);
	if (dns.n != 4 || bare.n != 2 || hosts.n != 2 || lo.n != 1 || nx.status != -ENOENT ||
	    lit.n != 1)
		return 11;
	return 0;
}

static void test_no_files_after_start(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sandboxed_child(state));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_a),
	    T(test_aaaa),
	    T(test_unspec_interleaves),
	    T(test_nodata_nxdomain_servfail),
	    T(test_timeout),
	    T(test_big_answer_is_capped),
	    T(test_ip_literals),
	    T(test_localhost),
	    T(test_hosts_file),
	    T(test_hosts_file_off_or_missing),
	    T(test_cancel),
	    T(test_many_parallel),
	    T(test_limit),
	    T(test_free_with_pending),
	    T(test_free_inside_callback),
	    T(test_start_inside_callback),
	    T(test_bad_input),
	    T(test_no_files_after_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
