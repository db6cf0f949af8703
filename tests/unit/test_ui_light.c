/* Unit tests for matching summary-only filters against the light flow a
 * summary rebuilds (daemon/ui/ui_light.c): on a generated set of flows
 * with odd corners (no request, Host headers naming another host, cut
 * strings, IPv6 and empty addresses, asked-for server addresses, DNS
 * without questions), every expression gives the same matches as the full
 * evaluation of the whole flow. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/unconst.h"
#include "ui/ui_light.h"
#include "ui/ui_store.h"

#define NFLOWS 3000

struct gflow {
	Snare__Flow f;
	Snare__HttpRequest q;
	Snare__HttpResponse r;
	Snare__Connection c, s;
	Snare__Address ca, sa, da;
	Snare__Header h, *hp;
	Snare__DnsMessage dq, dr;
	Snare__DnsRecord qr, *qrp;
	char id[64];
	bool marked;
};

static char long_str[3000];
static uint32_t seed = 12345;

static unsigned pick(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

#define ONE_OF(a) ((a)[pick(sizeof(a) / sizeof((a)[0]))])

static const char *const hosts[] = {
    "example.com", "api.example.org", "10.1.2.3", "2001:db8::5", NULL, ""};

static void addr(Snare__Address *a, bool longer)
{
	static const char *const ah[] = {"10.0.0.2", "::1", "", "example.com", "[x]", NULL};
	static const unsigned ports[] = {0, 443, 51000, 8080};

	snare__address__init(a);
	a->host = longer && pick(20) == 0 ? long_str + sizeof(long_str) - 300 : unconst(ONE_OF(ah));
	a->port = ONE_OF(ports);
	a->has_port = a->port != 0 || pick(2);
}

static void gen_request(struct gflow *g)
{
	static const char *const methods[] = {"GET", "POST", "CONNECT", "DELETE", NULL};
	static const char *const schemes[] = {"http", "https", "", NULL, "wss"};
	static const char *const paths[] = {"/", "/index.html", "/a?b=c", NULL, ""};
	static const char *const hhost[] = {"example.com", "other.test:8080", "[::1]:80",
					    "api.example.org"};
	static const unsigned ports[] = {80, 443, 8080, 0};

	snare__http_request__init(&g->q);
	g->q.method = unconst(ONE_OF(methods));
	g->q.scheme = unconst(ONE_OF(schemes));
	g->q.host = unconst(ONE_OF(hosts));
	g->q.path = pick(30) == 0 ? long_str : unconst(ONE_OF(paths));
	g->q.has_port = pick(4) != 0;
	g->q.port = ONE_OF(ports);
	if (pick(3) == 0) {
		const char *v = ONE_OF(hhost);

		snare__header__init(&g->h);
		g->h.has_name = g->h.has_value = 1;
		g->h.name = (ProtobufCBinaryData){4, (uint8_t *)"Host"};
		g->h.value = (ProtobufCBinaryData){strlen(v), (uint8_t *)unconst(v)};
		g->hp = &g->h;
		g->q.headers = &g->hp;
		g->q.n_headers = 1;
	} else if (pick(4) == 0) {
		g->q.authority = unconst(ONE_OF(hhost));
	}
	g->f.request = &g->q;
}

static void gen_http(struct gflow *g)
{
	static const unsigned codes[] = {200, 404, 500, 301};

	if (pick(10) != 0)
		gen_request(g);
	if (pick(10) < 7) {
		snare__http_response__init(&g->r);
		g->r.has_status_code = pick(8) != 0;
		g->r.status_code = ONE_OF(codes);
		g->f.response = &g->r;
	}
	if (pick(8) == 0)
		g->f.has_websocket = g->f.websocket = 1;
}

static void gen_dns(struct gflow *g)
{
	static const char *const names[] = {"example.com", "mail.example.org", NULL};

	if (pick(8) != 0) {
		snare__dns_message__init(&g->dq);
		if (pick(6) != 0) {
			snare__dns_record__init(&g->qr);
			g->qr.name = pick(20) == 0 ? long_str : unconst(ONE_OF(names));
			g->qrp = &g->qr;
			g->dq.questions = &g->qrp;
			g->dq.n_questions = 1;
		}
		g->f.dns_request = &g->dq;
	}
	if (pick(2)) {
		snare__dns_message__init(&g->dr);
		g->f.dns_response = &g->dr;
	}
}

static void gen_conns(struct gflow *g)
{
	snare__connection__init(&g->c);
	snare__connection__init(&g->s);
	if (pick(6) != 0) {
		addr(&g->ca, true);
		g->c.peer = &g->ca;
	}
	if (pick(6) != 0) {
		addr(&g->sa, false);
		g->s.peer = &g->sa;
	}
	switch (pick(3)) {
	case 0:
		addr(&g->da, true);
		g->s.address = &g->da;
		break;
	case 1:
		if (g->s.peer) {
			g->da = *g->s.peer;
			g->s.address = &g->da;
		}
		break;
	}
	g->f.client = pick(8) ? &g->c : NULL;
	g->f.server = pick(8) ? &g->s : NULL;
}

static void gen(struct gflow *g, int i)
{
	static const Snare__Flow__Type types[] = {SNARE__FLOW__TYPE__HTTP, SNARE__FLOW__TYPE__HTTP,
						  SNARE__FLOW__TYPE__HTTP, SNARE__FLOW__TYPE__TCP,
						  SNARE__FLOW__TYPE__UDP,  SNARE__FLOW__TYPE__DNS};
	static const char *const errors[] = {NULL, NULL, "", "connection reset"};
	static const char *const replays[] = {NULL, NULL, NULL, "", "request", "response", "other"};

	memset(g, 0, sizeof(*g));
	snare__flow__init(&g->f);
	snprintf(g->id, sizeof(g->id), "00000000-0000-4000-8000-%012d", i);
	g->f.id = g->id;
	g->f.has_type = 1;
	g->f.type = ONE_OF(types);
	if (g->f.type == SNARE__FLOW__TYPE__HTTP)
		gen_http(g);
	else if (g->f.type == SNARE__FLOW__TYPE__DNS)
		gen_dns(g);
	g->f.error = unconst(ONE_OF(errors));
	g->f.is_replay = unconst(ONE_OF(replays));
	gen_conns(g);
	g->marked = pick(5) == 0;
}

static const char *const exprs[] = {
    "~all",
    "~http",
    "~tcp",
    "~udp",
    "~dns",
    "~websocket",
    "~marked",
    "~replay",
    "~replayq",
    "~replays",
    "~replay & !~replays",
    "~e",
    "~q",
    "~s",
    "~c 200",
    "~c 404",
    "~m GET",
    "~m ^C",
    "~m .",
    "~d example",
    "~d ^$",
    "~d other",
    "~d '::'",
    "~d '^\\[x\\]$'",
    "~u /index",
    "~u ^https://",
    "~u :8080",
    "~u '^http://example.com/$'",
    "~u '^other.test:8080$'",
    "~u example.com",
    "~u ^$",
    "~u '\\]'",
    "~u mail",
    "~u aaaa",
    "~src 10.0.0.2",
    "~src ':0$'",
    "~src ^::1",
    "~src '\\['",
    "~src ^:",
    "~src aaaa",
    "~dst example.com:443",
    "~dst ':443$'",
    "~dst ^::1:",
    "~dst '^\\[x\\]'",
    "~dst .",
    "~dst aaaa",
    "!~s & ~http",
    "~d example & !~c 200 | ~dns",
    "(~m POST | ~m GET) & ~s",
    "example",
    "~u . & !~marked",
};

static void test_same_matches(void **state)
{
	struct gflow *g = calloc(NFLOWS, sizeof(*g));
	struct ui_store *s = ui_store_new(open("/tmp", O_TMPFILE | O_RDWR, 0600));
	size_t light = 0, idx, hits = 0;
	char err[256];

	assert_non_null(s);
	memset(long_str, 'a', sizeof(long_str) - 1);
	for (int i = 0; i < NFLOWS; i++) {
		gen(&g[i], i);
		assert_int_equal(ui_store_add(s, &g[i].f, &idx), 0);
		assert_int_equal(idx, (size_t)i);
		ui_store_set_marked(s, idx, g[i].marked);
		light += (ui_store_sum(s, idx)->flags & UI_F_LIGHT) != 0;
	}
	/* both paths are taken */
	assert_true(light > NFLOWS / 2 && light < NFLOWS);
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct filter *f;

		if (filter_compile(exprs[e], &f, err, sizeof(err)) != 0)
			fail_msg("%s: %s", exprs[e], err);
		assert_int_equal(filter_needs(f), 0);
		for (size_t i = 0; i < NFLOWS; i++) {
			struct filter_extra x = {.marked = g[i].marked};
			bool full = filter_match(f, &g[i].f, &x);

			if (ui_light_match(s, i, f) != full)
				fail_msg("%s: flow %zu: full %d, light %d", exprs[e], i, full,
					 !full);
			hits += full;
		}
		filter_free(f);
	}
	assert_true(hits > 0);
	ui_store_free(s);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
