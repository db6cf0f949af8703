/* Unit tests for the flow filter engine (daemon/filter): every operator on
 * a set of flows of each kind, precedence, parentheses, negation, quoting,
 * binary bodies, encoded bodies, and the errors with their columns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/unconst.h"
#include "filter/filter.h"
#include "test_flows.h"

enum {
	F_GET,	 /* GET http://example.com/path?x=1, 200 gzip JSON */
	F_POST,	 /* POST https://api.test:8443/submit, no response, NUL in body */
	F_WS,	 /* WebSocket on ws.test */
	F_TCP,	 /* raw TCP */
	F_UDP,	 /* raw UDP */
	F_DNS,	 /* DNS question dns.test, answered */
	F_ERR,	 /* HTTP with an error and no response */
	F_ASSET, /* GET of an image on [::1] */
	F_COUNT,
};

#define BIT(x) (1u << (x))
#define ALL ((1u << F_COUNT) - 1)

struct tflow {
	Snare__Flow f;
	Snare__Connection client, server;
	Snare__Address cpeer, saddr;
	Snare__HttpRequest req;
	Snare__HttpResponse resp;
	Snare__Header hdr[4], *qh[4], rhdr[4], *rh[4];
	Snare__Message msg[2], *msgs[2];
	Snare__DnsMessage dq, dr;
	Snare__DnsRecord q, *qs[1];
	uint8_t gz[256];
};

static struct tflow flows[F_COUNT];

static void base(struct tflow *t, Snare__Flow__Type type)
{
	memset(t, 0, sizeof(*t));
	snare__flow__init(&t->f);
	snare__connection__init(&t->client);
	snare__connection__init(&t->server);
	snare__address__init(&t->cpeer);
	snare__address__init(&t->saddr);
	t->f.has_type = true;
	t->f.type = type;
	t->f.client = &t->client;
	t->f.server = &t->server;
	t->client.peer = &t->cpeer;
	t->server.address = &t->saddr;
	t->cpeer.host = "10.0.0.1";
	t->cpeer.has_port = true;
	t->cpeer.port = 5555;
	t->saddr.has_port = true;
	t->saddr.port = 80;
}

static void request(struct tflow *t, const char *method, const char *scheme, const char *host,
		    unsigned port, const char *path)
{
	snare__http_request__init(&t->req);
	t->f.request = &t->req;
	t->req.method = unconst(method);
	t->req.scheme = unconst(scheme);
	t->req.host = unconst(host);
	t->req.has_port = true;
	t->req.port = port;
	t->req.path = unconst(path);
	t->req.headers = t->qh;
	t->saddr.host = unconst(host);
	t->saddr.port = port;
}

static void response(struct tflow *t, unsigned code)
{
	snare__http_response__init(&t->resp);
	t->f.response = &t->resp;
	t->resp.has_status_code = true;
	t->resp.status_code = code;
	t->resp.headers = t->rh;
}

static void message(struct tflow *t, bool from_client, const char *s)
{
	Snare__Message *m = &t->msg[t->f.n_messages];

	snare__message__init(m);
	m->has_from_client = true;
	m->from_client = from_client;
	m->has_content = true;
	m->content = tf_bin(s, strlen(s));
	t->msgs[t->f.n_messages++] = m;
	t->f.messages = t->msgs;
}

static void make_get(struct tflow *t)
{
	base(t, SNARE__FLOW__TYPE__HTTP);
	request(t, "GET", "http", "example.com", 80, "/path?x=1");
	tf_header(t->hdr, t->qh, &t->req.n_headers, "Host", "example.com");
	tf_header(t->hdr, t->qh, &t->req.n_headers, "User-Agent", "curl/8.0");
	response(t, 200);
	tf_header(t->rhdr, t->rh, &t->resp.n_headers, "Content-Type", "application/json");
	tf_header(t->rhdr, t->rh, &t->resp.n_headers, "Content-Encoding", "gzip");
	t->resp.has_content = true;
	t->resp.content.data = t->gz;
	t->resp.content.len = tf_gzip("{\"hello\": \"world\"}", t->gz, sizeof(t->gz));
}

static void make_post(struct tflow *t)
{
	static const char body[] = "name=bob\0secret=42";

	base(t, SNARE__FLOW__TYPE__HTTP);
	request(t, "POST", "https", "api.test", 8443, "/submit");
	tf_header(t->hdr, t->qh, &t->req.n_headers, "Content-Type",
		  "application/x-www-form-urlencoded");
	t->req.has_content = true;
	t->req.content = tf_bin(body, sizeof(body) - 1);
}

static void make_ws(struct tflow *t)
{
	base(t, SNARE__FLOW__TYPE__HTTP);
	request(t, "GET", "http", "ws.test", 80, "/chat");
	response(t, 101);
	t->f.has_websocket = t->f.websocket = true;
	message(t, true, "ping from client");
	message(t, false, "pong from server");
}

static void make_stream(struct tflow *t, Snare__Flow__Type type, const char *c, const char *s)
{
	base(t, type);
	t->saddr.host = "192.0.2.7";
	t->saddr.port = 25;
	message(t, true, c);
	message(t, false, s);
}

static void make_dns(struct tflow *t)
{
	static const char qraw[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
				   "\x03"
				   "dns\x04test\x00\x00\x01\x00\x01";

	base(t, SNARE__FLOW__TYPE__DNS);
	t->saddr.host = "9.9.9.9";
	t->saddr.port = 53;
	snare__dns_message__init(&t->dq);
	snare__dns_message__init(&t->dr);
	snare__dns_record__init(&t->q);
	t->q.name = "dns.test";
	t->qs[0] = &t->q;
	t->dq.questions = t->qs;
	t->dq.n_questions = 1;
	t->dq.has_raw = true;
	t->dq.raw = tf_bin(qraw, sizeof(qraw) - 1);
	t->f.dns_request = &t->dq;
	t->f.dns_response = &t->dr;
}

static void make_err(struct tflow *t)
{
	base(t, SNARE__FLOW__TYPE__HTTP);
	request(t, "GET", "http", "down.test", 80, "/");
	t->f.error = "connection refused";
}

static void make_asset(struct tflow *t)
{
	base(t, SNARE__FLOW__TYPE__HTTP);
	request(t, "GET", "https", "::1", 443, "/logo.png");
	t->cpeer.host = "::1";
	response(t, 404);
	tf_header(t->rhdr, t->rh, &t->resp.n_headers, "Content-Type", "image/png");
}

static int setup(void **state)
{
	make_get(&flows[F_GET]);
	make_post(&flows[F_POST]);
	make_ws(&flows[F_WS]);
	make_stream(&flows[F_TCP], SNARE__FLOW__TYPE__TCP, "HELO tcp.test", "220 ok");
	make_stream(&flows[F_UDP], SNARE__FLOW__TYPE__UDP, "udp hello", "udp reply");
	make_dns(&flows[F_DNS]);
	make_err(&flows[F_ERR]);
	make_asset(&flows[F_ASSET]);
	flows[F_POST].f.is_replay = "request";	 /* sent again by client replay */
	flows[F_ASSET].f.is_replay = "response"; /* answered by server replay */
	flows[F_GET].f.is_replay = "";		 /* not a replay */
	return 0;
}

/* Which flows the expression matches, as a bit set; marked: F_TCP. */
static unsigned matches(const char *expr)
{
	struct filter *f;
	char err[256];
	unsigned got = 0;

	if (filter_compile(expr, &f, err, sizeof(err)) != 0)
		fail_msg("%s: %s", expr, err);
	for (int i = 0; i < F_COUNT; i++) {
		struct filter_extra x = {.marked = i == F_TCP};

		if (filter_match(f, &flows[i].f, &x))
			got |= BIT(i);
	}
	filter_free(f);
	return got;
}

struct row {
	const char *expr;
	unsigned want;
};

static void check_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned got = matches(rows[i].expr);

		if (got != rows[i].want)
			fail_msg("%s: got 0x%x, want 0x%x", rows[i].expr, got, rows[i].want);
	}
}

#define HTTP (BIT(F_GET) | BIT(F_POST) | BIT(F_WS) | BIT(F_ERR) | BIT(F_ASSET))

static void test_operators(void **state)
{
	static const struct row rows[] = {
	    {"~all", ALL},
	    {"~http", HTTP},
	    {"~tcp", BIT(F_TCP)},
	    {"~udp", BIT(F_UDP)},
	    {"~dns", BIT(F_DNS)},
	    {"~websocket", BIT(F_WS)},
	    {"~marked", BIT(F_TCP)},
	    {"~replay", BIT(F_POST) | BIT(F_ASSET)},
	    {"~replayq", BIT(F_POST)},
	    {"~replays", BIT(F_ASSET)},
	    {"~e", BIT(F_ERR)},
	    {"~q", BIT(F_POST) | BIT(F_ERR)},
	    {"~s", BIT(F_GET) | BIT(F_WS) | BIT(F_DNS) | BIT(F_ASSET)},
	    {"~c 200", BIT(F_GET)},
	    {"~c 404", BIT(F_ASSET)},
	    {"~c 500", 0},
	    {"~m post", BIT(F_POST)},
	    {"~m ^GET$", BIT(F_GET) | BIT(F_WS) | BIT(F_ERR) | BIT(F_ASSET)},
	    {"~d example", BIT(F_GET)},
	    {"~d ^api\\.test$", BIT(F_POST)},
	    {"~u http://example.com/path", BIT(F_GET)},
	    {"~u https://api.test:8443/submit", BIT(F_POST)},
	    {"~u ^https://\\[::1\\]/logo", BIT(F_ASSET)},
	    {"~u dns.test", BIT(F_DNS)},
	    {"example.com", BIT(F_GET)},
	    {"~h user-agent", BIT(F_GET)},
	    {"~h \"content-type: image\"", BIT(F_ASSET)},
	    {"~hq json", 0},
	    {"~hs json", BIT(F_GET)},
	    {"~hq urlencoded", BIT(F_POST)},
	    {"~hq ^user-agent:", BIT(F_GET)},	   /* ^ at each header line */
	    {"~hq 'example\\.com.$'", BIT(F_GET)}, /* $ before the LF (CR matched by .) */
	    {"~hq 'host.*agent'", 0},		   /* . does not cross a line */
	    {"~b 'hello.*world'", BIT(F_GET)},
	    {"~t json|form", BIT(F_GET) | BIT(F_POST)},
	    {"~tq form", BIT(F_POST)},
	    {"~ts form", 0},
	    {"~ts png", BIT(F_ASSET)},
	    {"~a", BIT(F_ASSET)},
	    {"~b world", BIT(F_GET)},
	    {"~bs world", BIT(F_GET)},
	    {"~bq world", 0},
	    {"~bq secret=42", BIT(F_POST)},
	    {"~b ping", BIT(F_WS)},
	    {"~bq pong", 0},
	    {"~bs pong|220|reply", BIT(F_WS) | BIT(F_TCP) | BIT(F_UDP)},
	    {"~bq HELO|udp", BIT(F_TCP) | BIT(F_UDP)},
	    {"~b dns", BIT(F_DNS)},
	    {"~src 10\\.0\\.0\\.1:5555", ALL & ~BIT(F_ASSET)},
	    {"~src ^::1:5555$", BIT(F_ASSET)},
	    {"~dst :8443$", BIT(F_POST)},
	    {"~dst 9.9.9.9:53", BIT(F_DNS)},
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_logic(void **state)
{
	static const struct row rows[] = {
	    {"!~http", BIT(F_TCP) | BIT(F_UDP) | BIT(F_DNS)},
	    {"!!~tcp", BIT(F_TCP)},
	    {"~tcp | ~udp", BIT(F_TCP) | BIT(F_UDP)},
	    {"~http & ~s", BIT(F_GET) | BIT(F_WS) | BIT(F_ASSET)},
	    {"~http ~s", BIT(F_GET) | BIT(F_WS) | BIT(F_ASSET)},
	    /* & binds tighter than |, ! tighter than both */
	    {"~tcp | ~http & ~e", BIT(F_TCP) | BIT(F_ERR)},
	    {"(~tcp | ~http) & ~e", BIT(F_ERR)},
	    {"~tcp | ~http ~e", BIT(F_TCP) | BIT(F_ERR)},
	    {"!~http & !~dns", BIT(F_TCP) | BIT(F_UDP)},
	    {"!(~http | ~dns)", BIT(F_TCP) | BIT(F_UDP)},
	    {"~udp|~tcp", BIT(F_TCP) | BIT(F_UDP)},
	    {"((~dns))", BIT(F_DNS)},
	    {"~http & !~c 200 & ~s", BIT(F_WS) | BIT(F_ASSET)},
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_quoting(void **state)
{
	static const struct row rows[] = {
	    {"~h 'user-agent: curl'", BIT(F_GET)},
	    {"~b \"\\\"hello\\\"\"", BIT(F_GET)}, /* "\"hello\"" */
	    {"~d 'example\\.com'", BIT(F_GET)},	  /* regex escape kept */
	    {"~d 'example\\\\.com'", BIT(F_GET)}, /* \\ is one backslash: \.com */
	    {"~d 'example\\\\\\\\.com'", 0},	  /* \\\\: the regex \\. */
	    {"~u \"a b\"", 0},
	    {"~d !example", 0},			  /* the regex is "!example" */
	    {"~d a|b", BIT(F_GET) | BIT(F_POST)}, /* one bare word */
	    {"'example.com'", BIT(F_GET)},
	    {"~m GET ~d ws", BIT(F_WS)},
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* A regex meets NUL bytes in a body and keeps searching after them. */
static void test_binary_body(void **state)
{
	assert_int_equal(matches("~bq secret"), BIT(F_POST));
	assert_int_equal(matches("~bq ^name=bob"), BIT(F_POST));
	assert_int_equal(matches("~bq bob.secret"), 0); /* . does not match NUL */
	assert_int_equal(matches("~bq 'bob[^a-z]secret'"), BIT(F_POST));
}

/* A body exactly as long as its bytes (no NUL after it), as decoded flows
 * hold them; under ASan a read past it fails the test. */
static void test_unterminated_body(void **state)
{
	struct tflow t;
	struct filter *f;
	char err[128];
	uint8_t *body = malloc(5);

	memcpy(body, "abcde", 5);
	make_post(&t);
	t.req.content = (ProtobufCBinaryData){5, body};
	assert_int_equal(filter_compile("~bq cde$", &f, err, sizeof(err)), 0);
	assert_true(filter_match(f, &t.f, NULL));
	filter_free(f);
	assert_int_equal(filter_compile("~bq cdef", &f, err, sizeof(err)), 0);
	assert_false(filter_match(f, &t.f, NULL));
	filter_free(f);
	free(body);
}

static void test_no_flow_parts(void **state)
{
	Snare__Flow f;
	struct filter *flt;
	char err[128];
	static const char *const exprs[] = {"~all",   "~u x",	"~d x", "~h x", "~b x",
					    "~src x", "~dst x", "~q",	"~s",	"~c 200",
					    "~t x",   "~a",	"~e",	"~m x", "~websocket"};

	snare__flow__init(&f);
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		assert_int_equal(filter_compile(exprs[i], &flt, err, sizeof(err)), 0);
		assert_int_equal(filter_match(flt, &f, NULL), i == 0);
		filter_free(flt);
	}
}

static void test_errors(void **state)
{
	static const struct {
		const char *expr, *err;
	} rows[] = {
	    {"", "end of expression: empty filter expression at column 1"},
	    {"   ", "end of expression: empty filter expression at column 4"},
	    {"~x", "~x: unknown operator at column 1"},
	    {"~http & ~foo", "~foo: unknown operator at column 9"},
	    {"~d", "~d: needs a regular expression at column 1"},
	    {"~q & ~d )", "~d: needs a regular expression at column 6"},
	    {"~c abc", "abc: not a status code (0 to 999) at column 4"},
	    {"~c 1000", "1000: not a status code (0 to 999) at column 4"},
	    {"~c", "~c: needs a number at column 1"},
	    {"(~q", "(: not closed at column 1"},
	    {"~q)", "): unexpected at column 3"},
	    {"~q &", "end of expression: operand expected at column 5"},
	    {"~q | | ~s", "|: unexpected at column 6"},
	    {"!", "end of expression: operand expected at column 2"},
	    {"~d 'abc", "': string not closed at column 4"},
	    {"~q \"x", "\": string not closed at column 4"},
	    {"()", "): unexpected at column 2"},
	    {"~c \"1\n2\"", "1\\x0a2: not a status code (0 to 999) at column 4"},
	};
	char err[256];
	struct filter *f;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(filter_compile(rows[i].expr, &f, err, sizeof(err)), -EINVAL);
		assert_null(f);
		assert_string_equal(err, rows[i].err);
	}
}

static void test_bad_regex(void **state)
{
	char err[256];
	struct filter *f;

	assert_int_equal(filter_compile("~q ~d 'a[b'", &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a[b: invalid regular expression ("));
	assert_non_null(strstr(err, ") at column 7"));
	assert_null(strchr(err, '\n'));
}

/* Regexes whose expansion would exhaust memory, and back-references, are
 * refused before regcomp; ordinary repetitions pass. */
static void test_regex_cost(void **state)
{
	static const char *const refused[] = {
	    "~d '((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+'",
	    "~d '(x{100}){100}'",
	    "~d '(((a{20}){20}){20})'",
	};
	static const char *const stacked[] = {"~d 'a++'", "~d 'a{2}{3}'", "~d 'a*?+'", "~d 'a?*'"};
	static const char *const fine[] = {
	    "~d '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}'",
	    "~d 'x{1000}'",
	    "~d '(a|b)+c*d?'",
	    "~d 'a.*?b.+?c'",
	    "~d '[]a]+|[[:alpha:]]{2,}'",
	    "~d 'a)b'",
	};
	char err[256];
	struct filter *f;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(filter_compile(refused[i], &f, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "invalid regular expression (too many repetitions) at "
					    "column 4"));
	}
	for (size_t i = 0; i < sizeof(stacked) / sizeof(stacked[0]); i++) {
		assert_int_equal(filter_compile(stacked[i], &f, err, sizeof(err)), -EINVAL);
		assert_non_null(
		    strstr(err, "invalid regular expression (multiple repeat) at column 4"));
	}
	assert_int_equal(filter_compile("~d '(a)\\1'", &f, err, sizeof(err)), -EINVAL);
	assert_string_equal(
	    err,
	    "(a)\\1: invalid regular expression (back-references are not supported) at column 4");
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		if (filter_compile(fine[i], &f, err, sizeof(err)) != 0)
			fail_msg("%s: %s", fine[i], err);
		filter_free(f);
	}
}

/* filter_needs: each operator's part of the flow, and !, & and | join them. */
static void test_needs(void **state)
{
	enum {
		H = FILTER_NEED_HEADERS,
		B = FILTER_NEED_BODIES | FILTER_NEED_MESSAGES | FILTER_NEED_DNS
	};
	static const struct {
		const char *expr;
		unsigned want;
	} rows[] = {
	    {"~a", H},		 {"~all", 0},
	    {"~b x", B},	 {"~bq x", B},
	    {"~bs x", B},	 {"~c 200", 0},
	    {"~d x", 0},	 {"~dns", 0},
	    {"~dst x", 0},	 {"~e", 0},
	    {"~h x", H},	 {"~hq x", H},
	    {"~hs x", H},	 {"~http", 0},
	    {"~m x", 0},	 {"~marked", 0},
	    {"~replay", 0},	 {"~q", 0},
	    {"~s", 0},		 {"~src x", 0},
	    {"~t x", H},	 {"~tq x", H},
	    {"~ts x", H},	 {"~tcp", 0},
	    {"~u x", 0},	 {"~udp", 0},
	    {"~websocket", 0},	 {"bare", 0},
	    {"!~h x", H},	 {"~d x & ~b y", B},
	    {"~m x | ~hq y", H}, {"(~d x | !(~c 1 & ~bs z)) & ~h w", B | H},
	};
	char err[256];
	struct filter *f;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (filter_compile(rows[i].expr, &f, err, sizeof(err)) != 0)
			fail_msg("%s: %s", rows[i].expr, err);
		if (filter_needs(f) != rows[i].want)
			fail_msg("%s: needs 0x%x, want 0x%x", rows[i].expr, filter_needs(f),
				 rows[i].want);
		filter_free(f);
	}
}

static void test_limits(void **state)
{
	char *deep = malloc(300), *huge = malloc(9000), err[256];
	struct filter *f;

	memset(deep, '(', 200);
	strcpy(deep + 200, "~q");
	assert_int_equal(filter_compile(deep, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested too deeply"));
	memset(deep, '!', 200);
	assert_int_equal(filter_compile(deep, &f, err, sizeof(err)), -EINVAL);
	memset(huge, 'a', 8999);
	huge[8999] = '\0';
	assert_int_equal(filter_compile(huge, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	/* a long chain of terms is fine */
	for (int i = 0; i < 1000; i++)
		memcpy(huge + i * 4, "~q &", 4);
	strcpy(huge + 3996, "~s");
	assert_int_equal(filter_compile(huge, &f, err, sizeof(err)), 0);
	assert_int_equal(matches("~q"), BIT(F_POST) | BIT(F_ERR));
	filter_free(f);
	/* a short error buffer is cut, not overrun */
	assert_int_equal(filter_compile("~nope", &f, err, 6), -EINVAL);
	assert_string_equal(err, "~nope");
	free(deep);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_operators),
	    cmocka_unit_test(test_logic),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_binary_body),
	    cmocka_unit_test(test_unterminated_body),
	    cmocka_unit_test(test_no_flow_parts),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bad_regex),
	    cmocka_unit_test(test_regex_cost),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_needs),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
