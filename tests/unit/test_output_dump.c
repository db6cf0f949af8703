/* Unit tests for the mitmdump-style flow lines (daemon/output/dump*.c):
 * golden output at flow_detail 0..4 for HTTP, TCP/UDP, WebSocket and DNS
 * flows, escaping of hostile bytes, and the pretty size table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/unconst.h"
#include "core/escape.h"
#include "core/log.h"
#include "output/dump.h"

/* One flow under construction, with storage for its parts. */
struct tflow {
	Snare__Flow f;
	Snare__Connection client, server;
	Snare__Address cpeer, saddr;
	Snare__HttpRequest req;
	Snare__HttpResponse resp;
	Snare__Header hdr[4], *qh[4], rhdr[4], *rh[4];
	Snare__Message msg[4], *msgs[4];
	Snare__DnsMessage dq, dr;
	Snare__DnsRecord q, ans[3], *qs[1], *as[3];
};

static char *run(const Snare__Flow *f, int detail, bool showhost, int width)
{
	struct dump_opts o = {.flow_detail = detail, .showhost = showhost, .term_width = width};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	dump_flow(fp, f, &o);
	fclose(fp);
	return buf;
}

static void expect(const Snare__Flow *f, int detail, bool showhost, int width, const char *want)
{
	char *got = run(f, detail, showhost, width);

	assert_string_equal(got, want);
	free(got);
}

static ProtobufCBinaryData bin(const char *s)
{
	return (ProtobufCBinaryData){strlen(s), unconst(s)};
}

static void set_header(Snare__Header *h, const char *name, const char *value)
{
	snare__header__init(h);
	h->has_name = h->has_value = true;
	h->name = bin(name);
	h->value = bin(value);
}

static void base(struct tflow *t, Snare__Flow__Type type, const char *chost, unsigned cport)
{
	memset(t, 0, sizeof(*t));
	snare__flow__init(&t->f);
	snare__connection__init(&t->client);
	snare__connection__init(&t->server);
	snare__address__init(&t->cpeer);
	snare__address__init(&t->saddr);
	t->f.has_type = true;
	t->f.type = type;
	t->cpeer.host = unconst(chost);
	t->cpeer.has_port = true;
	t->cpeer.port = cport;
	t->client.peer = &t->cpeer;
	t->f.client = &t->client;
	t->saddr.host = "example.com";
	t->saddr.has_port = true;
	t->saddr.port = 80;
	t->server.address = &t->saddr;
	t->f.server = &t->server;
}

static void http_get(struct tflow *t, const char *chost, unsigned cport)
{
	base(t, SNARE__FLOW__TYPE__HTTP, chost, cport);
	snare__http_request__init(&t->req);
	t->req.method = "GET";
	t->req.scheme = "http";
	t->req.host = "example.com";
	t->req.has_port = true;
	t->req.port = 80;
	t->req.path = "/";
	t->req.http_version = "HTTP/1.1";
	t->f.request = &t->req;
}

static void http_ok(struct tflow *t, unsigned long long size)
{
	snare__http_response__init(&t->resp);
	t->resp.http_version = "HTTP/1.1";
	t->resp.has_status_code = true;
	t->resp.status_code = 200;
	t->resp.reason = "OK";
	t->resp.has_content_length = true;
	t->resp.content_length = size;
	t->f.response = &t->resp;
}

static void test_pretty_size(void **state)
{
	static const struct {
		unsigned long long n;
		const char *want;
	} cases[] = {
	    {0, "0b"},
	    {100, "100b"},
	    {1023, "1023b"},
	    {1024, "1k"},
	    {1234, "1.2k"},
	    {1536, "1.5k"},
	    {10240, "10k"},
	    {102348, "99.9k"},
	    {102400, "100k"},
	    {1048575, "1024k"},
	    {1048576, "1m"},
	    {13ULL << 20, "13m"},
	    {10ULL << 30, "10g"},
	    {1ULL << 40, "1t"},
	    {5000ULL << 40, "5000t"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dump_pretty_size(cases[i].n, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_http_get_detail1(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	http_ok(&t, 1234);
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET http://example.com/\n"
	       "              << 200 OK 1.2k\n");
}

/* mitmdump's replay marks: "[replay]" for the client of a client replay,
 * before the arrows of a server replay's answer (lined up as without). */
static void test_http_replay_marks(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	http_ok(&t, 1234);
	t.f.is_replay = "request";
	expect(&t.f, 1, false, 0,
	       "[replay]: GET http://example.com/\n"
	       "              << 200 OK 1.2k\n"); /* padded by the client address */
	t.f.is_replay = "response";
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET http://example.com/\n"
	       "[replay]      << 200 OK 1.2k\n");
	t.f.is_replay = "other";
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET http://example.com/\n"
	       "              << 200 OK 1.2k\n");
}

static void test_detail0_prints_nothing(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	http_ok(&t, 1234);
	expect(&t.f, 0, false, 0, "");
}

static void test_http_post_ipv6(void **state)
{
	struct tflow t;

	http_get(&t, "::1", 40000);
	t.req.method = "POST";
	t.req.scheme = "https";
	t.req.host = "2001:db8::1";
	t.req.port = 8443;
	t.req.path = "/submit?a=1";
	http_ok(&t, 0);
	t.resp.status_code = 201;
	t.resp.reason = "Created";
	expect(&t.f, 1, false, 0,
	       "[::1]:40000: POST https://[2001:db8::1]:8443/submit?a=1\n"
	       "          << 201 Created 0b\n");
}

static void test_http_v4mapped_default_port(void **state)
{
	struct tflow t;

	http_get(&t, "::ffff:10.0.0.1", 5555);
	t.req.scheme = "https";
	t.req.port = 443;
	t.req.path = "/x";
	http_ok(&t, 532);
	expect(&t.f, 1, false, 0,
	       "10.0.0.1:5555: GET https://example.com/x\n"
	       "            << 200 OK 532b\n");
}

static void test_http_error(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	t.f.error = "Cannot connect to example.com:80: Connection refused";
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET http://example.com/\n"
	       " << Cannot connect to example.com:80: Connection refused\n");
}

static void test_http_showhost(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 1000);
	t.req.host = "93.184.216.34";
	t.req.path = "/p";
	set_header(&t.hdr[0], "Accept", "*/*");
	set_header(&t.hdr[1], "Host", "www.example.org:8080");
	t.qh[0] = &t.hdr[0];
	t.qh[1] = &t.hdr[1];
	t.req.headers = t.qh;
	t.req.n_headers = 2;
	expect(&t.f, 1, false, 0, "127.0.0.1:1000: GET http://93.184.216.34/p\n");
	expect(&t.f, 1, true, 0, "127.0.0.1:1000: GET http://www.example.org:8080/p\n");
	set_header(&t.hdr[1], "host", "[2001:db8::2]:80");
	expect(&t.f, 1, true, 0, "127.0.0.1:1000: GET http://[2001:db8::2]/p\n");
	set_header(&t.hdr[1], "HOST", "example.net");
	expect(&t.f, 1, true, 0, "127.0.0.1:1000: GET http://example.net/p\n");
	/* Header values are bytes, not C strings: only len counts. */
	t.hdr[1].value.len = 7;
	expect(&t.f, 1, true, 0, "127.0.0.1:1000: GET http://example/p\n");
	t.hdr[1].value.len = 0; /* an empty Host falls back to the authority */
	t.req.authority = "h2.example:443";
	expect(&t.f, 1, true, 0, "127.0.0.1:1000: GET http://h2.example:443/p\n");
}

static void test_http2_version(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	t.req.scheme = "https";
	t.req.port = 443;
	t.req.http_version = "HTTP/2.0";
	http_ok(&t, 1234);
	t.resp.http_version = "HTTP/2.0";
	t.resp.status_code = 404;
	t.resp.reason = NULL;
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET https://example.com/ HTTP/2.0\n"
	       "     << HTTP/2.0 404 Not Found 1.2k\n");
}

static void test_http10_request_11_response(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	t.req.http_version = "HTTP/1.0";
	http_ok(&t, 10);
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET http://example.com/ HTTP/1.0\n"
	       "     << HTTP/1.1 200 OK 10b\n");
}

static void test_http_detail2_headers(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	set_header(&t.hdr[0], "Host", "example.com");
	t.qh[0] = &t.hdr[0];
	t.req.headers = t.qh;
	t.req.n_headers = 1;
	http_ok(&t, 5);
	set_header(&t.rhdr[0], "Content-Type", "text/plain");
	set_header(&t.rhdr[1], "X-Evil", "a\r\nb\x1b[31m\xff");
	t.rh[0] = &t.rhdr[0];
	t.rh[1] = &t.rhdr[1];
	t.resp.headers = t.rh;
	t.resp.n_headers = 2;
	expect(&t.f, 2, false, 0,
	       "127.0.0.1:54321: GET http://example.com/\n"
	       "    Host: example.com\n"
	       " << 200 OK 5b\n"
	       "    Content-Type: text/plain\n"
	       "    X-Evil: a\\r\\nb\\x1b[31m\\xff\n");
}

static void test_http_detail3_bodies(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	t.req.method = "PUT";
	t.req.has_content = true;
	t.req.content = bin("hello\r\nw\torld \xe2\x82\xac\n");
	http_ok(&t, 20);
	t.resp.has_content = true;
	t.resp.content =
	    (ProtobufCBinaryData){20, (uint8_t *)"\x00\x01GIF89a binary\xff\xfe\x80\x7f!"};
	expect(&t.f, 3, false, 0,
	       "127.0.0.1:54321: PUT http://example.com/\n"
	       "\n"
	       "hello\n"
	       "w\torld \xe2\x82\xac\n"
	       "\n"
	       " << 200 OK 20b\n"
	       "\n"
	       "0000000000 00 01 47 49 46 38 39 61 20 62 69 6e 61 72 79 ff ..GIF89a binary.\n"
	       "0000000010 fe 80 7f 21                                     ...!\n"
	       "\n");
}

static void test_http_body_cutoff(void **state)
{
	struct tflow t;
	size_t n = 600 * 2;
	char *body = malloc(n), *got;
	size_t lines = 0;

	assert_non_null(body);
	for (size_t i = 0; i < n; i += 2)
		memcpy(body + i, "x\n", 2);
	http_get(&t, "127.0.0.1", 1);
	t.req.has_content = true;
	t.req.content = (ProtobufCBinaryData){n, (uint8_t *)body};
	got = run(&t.f, 3, false, 0);
	for (char *p = got; (p = strstr(p, "x\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 512);
	assert_non_null(strstr(got, "x\n    (cut off)\n\n"));
	free(got);
	got = run(&t.f, 4, false, 0);
	lines = 0;
	for (char *p = got; (p = strstr(p, "x\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 600);
	assert_null(strstr(got, "cut off"));
	free(got);
	free(body);
}

static void test_http_streamed_body(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 1);
	http_ok(&t, 5 << 20);
	t.resp.has_content_streamed = true;
	t.resp.content_streamed = true;
	expect(&t.f, 3, false, 0,
	       "127.0.0.1:1: GET http://example.com/\n"
	       "\n"
	       " << 200 OK 5m\n"
	       "\n(content missing)\n\n");
}

static void test_http_url_truncated(void **state)
{
	struct tflow t;
	char path[201], want[256];

	memset(path, 'a', 200);
	path[0] = '/';
	path[200] = '\0';
	http_get(&t, "127.0.0.1", 54321);
	t.req.path = path;
	/* width 80: the URL keeps max(80 - 25, 50) = 55 characters. */
	snprintf(want, sizeof(want), "127.0.0.1:54321: GET http://example.com/%.36s\u2026\n",
		 path + 1);
	expect(&t.f, 1, false, 80, want);
	/* narrow terminals still show 50 characters; detail 2 never cuts. */
	snprintf(want, sizeof(want), "127.0.0.1:54321: GET http://example.com/%.31s\u2026\n",
		 path + 1);
	expect(&t.f, 1, false, 20, want);
	snprintf(want, sizeof(want), "127.0.0.1:54321: GET http://example.com%s\n", path);
	expect(&t.f, 2, false, 80, want);
}

static void test_hostile_request_line(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 1);
	t.req.method = "G\x1b[2JET";
	t.req.path = "/\xc2\x9b\xe2\x82\xac\xc3\n";
	http_ok(&t, 1);
	t.resp.reason = "O\rK";
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:1: G\\x1b[2JET http://example.com/\\xc2\\x9b\xe2\x82\xac\\xc3\\x0a\n"
	       "          << 200 O\\x0dK 1b\n");
}

static void test_tcp_messages(void **state)
{
	struct tflow t;

	base(&t, SNARE__FLOW__TYPE__TCP, "10.0.0.2", 40000);
	t.saddr.host = "192.0.2.1";
	t.saddr.port = 22;
	for (int i = 0; i < 2; i++) {
		snare__message__init(&t.msg[i]);
		t.msg[i].has_from_client = true;
		t.msg[i].from_client = i == 0;
		t.msg[i].has_content = true;
		t.msgs[i] = &t.msg[i];
	}
	t.msg[0].content = bin("SSH-2.0-x\r\n");
	t.msg[1].content = bin("SSH-2.0-y\r\n");
	t.f.messages = t.msgs;
	t.f.n_messages = 2;
	expect(&t.f, 1, false, 0,
	       "10.0.0.2:40000 -> tcp -> 192.0.2.1:22\n"
	       "10.0.0.2:40000 <- tcp <- 192.0.2.1:22\n");
	expect(&t.f, 3, false, 0,
	       "10.0.0.2:40000 -> tcp -> 192.0.2.1:22\n\nSSH-2.0-x\n\n"
	       "10.0.0.2:40000 <- tcp <- 192.0.2.1:22\n\nSSH-2.0-y\n\n");
	t.f.n_messages = 0;
	t.f.error = "connection reset";
	expect(&t.f, 1, false, 0, "Error in TCP connection to 192.0.2.1:22: connection reset\n");
}

static void test_udp_message(void **state)
{
	struct tflow t;

	base(&t, SNARE__FLOW__TYPE__UDP, "::1", 5000);
	t.saddr.host = "::1";
	t.saddr.port = 6000;
	snare__message__init(&t.msg[0]);
	t.msg[0].from_client = true;
	t.msgs[0] = &t.msg[0];
	t.f.messages = t.msgs;
	t.f.n_messages = 1;
	expect(&t.f, 1, false, 0, "[::1]:5000 -> udp -> [::1]:6000\n");
}

/* A UDP flow that started with a QUIC Initial: "QUIC" and the server name. */
static void test_quic_udp_message(void **state)
{
	struct tflow t;
	Snare__TlsInfo tls;

	base(&t, SNARE__FLOW__TYPE__UDP, "10.0.0.2", 5000);
	t.saddr.host = "192.0.2.1";
	t.saddr.port = 443;
	snare__message__init(&t.msg[0]);
	snare__message__init(&t.msg[1]);
	t.msg[0].from_client = true;
	t.msgs[0] = &t.msg[0];
	t.msgs[1] = &t.msg[1];
	t.f.messages = t.msgs;
	t.f.n_messages = 2;
	snare__tls_info__init(&tls);
	tls.version = "QUICv1";
	tls.sni = "example.org";
	t.client.tls = &tls;
	expect(&t.f, 1, false, 0,
	       "10.0.0.2:5000 -> QUIC -> 192.0.2.1:443 example.org\n"
	       "10.0.0.2:5000 <- QUIC <- 192.0.2.1:443 example.org\n");
	tls.version = "TLSv1.3"; /* not QUIC: a plain UDP line */
	t.f.n_messages = 1;
	expect(&t.f, 1, false, 0, "10.0.0.2:5000 -> udp -> 192.0.2.1:443\n");
}

static void test_websocket(void **state)
{
	struct tflow t;

	http_get(&t, "127.0.0.1", 54321);
	t.req.path = "/chat";
	http_ok(&t, 0);
	t.resp.status_code = 101;
	t.resp.reason = "Switching Protocols";
	t.f.has_websocket = t.f.websocket = true;
	for (int i = 0; i < 2; i++) {
		snare__message__init(&t.msg[i]);
		t.msg[i].from_client = i == 0;
		t.msg[i].has_kind = true;
		t.msg[i].kind = i == 0 ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__BINARY;
		t.msg[i].has_content = true;
		t.msgs[i] = &t.msg[i];
	}
	t.msg[0].content = bin("hi");
	t.msg[1].content = (ProtobufCBinaryData){2, (uint8_t *)"\x00\x01"};
	t.f.messages = t.msgs;
	t.f.n_messages = 2;
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:54321: GET http://example.com/chat\n"
	       "              << 101 Switching Protocols 0b\n"
	       "127.0.0.1:54321 -> WebSocket text message -> example.com:80/chat\n"
	       "127.0.0.1:54321 <- WebSocket binary message <- example.com:80/chat\n");
	t.f.n_messages = 1;
	expect(&t.f, 3, false, 0,
	       "127.0.0.1:54321: GET http://example.com/chat\n"
	       "\n"
	       " << 101 Switching Protocols 0b\n"
	       "\n"
	       "127.0.0.1:54321 -> WebSocket text message -> example.com:80/chat\n"
	       "\nhi\n\n");
}

static void dns_base(struct tflow *t, unsigned type, const char *name)
{
	base(t, SNARE__FLOW__TYPE__DNS, "127.0.0.1", 5353);
	snare__dns_message__init(&t->dq);
	snare__dns_record__init(&t->q);
	t->q.name = unconst(name);
	t->q.has_type = true;
	t->q.type = type;
	t->qs[0] = &t->q;
	t->dq.questions = t->qs;
	t->dq.n_questions = 1;
	t->f.dns_request = &t->dq;
	snare__dns_message__init(&t->dr);
	t->dr.has_response = t->dr.response = true;
	t->dr.questions = t->qs;
	t->dr.n_questions = 1;
	t->f.dns_response = &t->dr;
}

static void test_dns_answers(void **state)
{
	struct tflow t;
	const char *ips[] = {"93.184.216.34", "93.184.216.35"};

	dns_base(&t, 1, "example.com");
	for (int i = 0; i < 2; i++) {
		snare__dns_record__init(&t.ans[i]);
		t.ans[i].display = unconst(ips[i]);
		t.as[i] = &t.ans[i];
	}
	t.dr.answers = t.as;
	t.dr.n_answers = 2;
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:5353: DNS QUERY (A) example.com\n"
	       " << 93.184.216.34, 93.184.216.35\n");
	t.q.type = 28;
	t.dr.n_answers = 0;
	t.dr.has_rcode = true;
	t.dr.rcode = 3;
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:5353: DNS QUERY (AAAA) example.com\n"
	       " << NXDOMAIN\n");
	t.dr.rcode = 2;
	t.q.type = 65;
	expect(&t.f, 1, false, 0, "127.0.0.1:5353: DNS QUERY (HTTPS) example.com\n << SERVFAIL\n");
}

static void test_dns_unknown_codes_and_error(void **state)
{
	struct tflow t;

	dns_base(&t, 4242, "x.test");
	t.dq.has_opcode = true;
	t.dq.opcode = 9;
	t.dr.rcode = 23;
	expect(&t.f, 1, false, 0,
	       "127.0.0.1:5353: DNS OPCODE(9) (TYPE(4242)) x.test\n << RCODE(23)\n");
	t.dq.opcode = 5;
	t.f.dns_response = NULL;
	t.f.error = "timeout";
	expect(&t.f, 1, false, 0, "127.0.0.1:5353: DNS UPDATE (TYPE(4242)) x.test\n << timeout\n");
	t.f.error = NULL;
	expect(&t.f, 1, false, 0, "127.0.0.1:5353: DNS UPDATE (TYPE(4242)) x.test\n");
}

static void test_missing_parts(void **state)
{
	Snare__Flow f;

	snare__flow__init(&f);
	expect(&f, 4, true, 80, "");
	f.has_type = true;
	f.type = SNARE__FLOW__TYPE__DNS;
	expect(&f, 4, true, 80, "<no address>: DNS QUERY\n");
	f.type = SNARE__FLOW__TYPE__TCP;
	f.error = "boom";
	expect(&f, 4, true, 80, "Error in TCP connection to <no address>: boom\n");
	f.type = (Snare__Flow__Type)77;
	expect(&f, 4, true, 80, "");
}

/* Issue 16.7: the one escaping helper every output path uses. */
static void esc_case(const char *in, size_t n, const char *keep, const char *want)
{
	char out[256];

	assert_int_equal(esc_str(out, sizeof(out), (const uint8_t *)in, n, keep), strlen(want));
	assert_string_equal(out, want);
}

static void test_escape_helper(void **state)
{
	char small[8];

	esc_case("plain ascii ~", 13, "", "plain ascii ~");
	esc_case("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "",
		 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	esc_case("\x1b[2J\x07", 5, "", "\\x1b[2J\\x07");
	esc_case("a\x7f"
		 "b",
		 3, "", "a\\x7fb");
	esc_case("\x00z", 2, "", "\\x00z");
	esc_case("\xc2\x9b"
		 "31m",
		 5, "", "\\xc2\\x9b31m"); /* C1 CSI */
	esc_case("\x9b", 1, "", "\\x9b"); /* 8-bit CSI, invalid UTF-8 */
	esc_case("\xc0\xaf\xed\xa0\x80\xc3", 6, "", "\\xc0\\xaf\\xed\\xa0\\x80\\xc3");
	esc_case("\xf4\x90\x80\x80", 4, "", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	esc_case("a\tb\nc\r", 6, "\t\n", "a\tb\nc\\x0d");
	esc_case("a\tb", 3, "", "a\\x09b");
	/* Never an escape or a character cut in half. */
	assert_int_equal(esc_str(small, sizeof(small), (const uint8_t *)"ab\x1b\x1b", 4, ""), 6);
	assert_string_equal(small, "ab\\x1b");
	assert_int_equal(esc_str(small, sizeof(small), (const uint8_t *)"abcde\xe2\x82\xac", 8, ""),
			 5);
	assert_string_equal(esc_cstr(small, sizeof(small), "\x1b"), "\\x1b");
	assert_int_equal(esc_safe_len((const uint8_t *)"\xc2\xa0", 2), 2); /* NBSP is text */
	assert_int_equal(esc_safe_len((const uint8_t *)"\xc2\x85", 2), 0); /* NEL is C1 */
}

/* A server address that is a name a client chose (SOCKS5, Host): escaped in every flow line. */
static void test_hostile_addresses(void **state)
{
	struct tflow t;

	base(&t, SNARE__FLOW__TYPE__TCP, "10.0.0.2", 40000);
	t.saddr.host = "\x1b]0;owned\x07\x1b[2J.test";
	t.saddr.port = 443;
	snare__message__init(&t.msg[0]);
	t.msg[0].has_from_client = true;
	t.msg[0].from_client = true;
	t.msgs[0] = &t.msg[0];
	t.f.messages = t.msgs;
	t.f.n_messages = 1;
	expect(&t.f, 1, false, 0, "10.0.0.2:40000 -> tcp -> \\x1b]0;owned\\x07\\x1b[2J.test:443\n");
	t.f.n_messages = 0;
	t.f.error = "cannot resolve \x1b[31m\xc2\x9b";
	expect(&t.f, 1, false, 0,
	       "Error in TCP connection to \\x1b]0;owned\\x07\\x1b[2J.test:443: cannot resolve "
	       "\\x1b[31m\\xc2\\x9b\n");
	/* A colon makes it look like IPv6: bracketed, still escaped. */
	t.saddr.host = "a:\x1b";
	t.f.error = "x";
	expect(&t.f, 1, false, 0, "Error in TCP connection to [a:\\x1b]:443: x\n");
}

/* Log lines: a worker's line (log_print_foreign) is one line with every control byte escaped;
 * the coordinator's own lines keep their newlines, nothing else. */
static char *capture_log(bool foreign, const char *client, const char *msg)
{
	char *buf = calloc(1, 4096);
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);

	assert_non_null(buf);
	assert_non_null(tmp);
	fflush(stdout);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	(foreign ? log_print_foreign : log_print)(LOG_LVL_INFO, client, msg);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	assert_true(fread(buf, 1, 4095, tmp) > 0);
	fclose(tmp);
	return buf;
}

static void test_log_lines_escaped(void **state)
{
	char *got = capture_log(true, "10.0.0.1:5\x1b[2J",
				"server connect \x1b]0;x\x07"
				"evil:443\n[00:00:00.000] forged");
	char *msg = strchr(got, ' ');

	assert_non_null(msg);
	assert_null(strchr(got, 0x1b));
	assert_null(strchr(got, 0x07));
	assert_ptr_equal(strchr(got, '\n'), got + strlen(got) - 1);
	assert_non_null(strstr(got, "][10.0.0.1:5\\x1b[2J] "));
	assert_string_equal(msg,
			    " server connect \\x1b]0;x\\x07evil:443\\x0a[00:00:00.000] forged\n");
	free(got);
	got = capture_log(false, NULL, "two\nlines \x1b[0m\xff");
	msg = strchr(got, ' ');
	assert_non_null(msg);
	assert_string_equal(msg, " two\nlines \\x1b[0m\\xff\n");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pretty_size),
	    cmocka_unit_test(test_escape_helper),
	    cmocka_unit_test(test_hostile_addresses),
	    cmocka_unit_test(test_log_lines_escaped),
	    cmocka_unit_test(test_http_get_detail1),
	    cmocka_unit_test(test_detail0_prints_nothing),
	    cmocka_unit_test(test_http_replay_marks),
	    cmocka_unit_test(test_http_post_ipv6),
	    cmocka_unit_test(test_http_v4mapped_default_port),
	    cmocka_unit_test(test_http_error),
	    cmocka_unit_test(test_http_showhost),
	    cmocka_unit_test(test_http2_version),
	    cmocka_unit_test(test_http10_request_11_response),
	    cmocka_unit_test(test_http_detail2_headers),
	    cmocka_unit_test(test_http_detail3_bodies),
	    cmocka_unit_test(test_http_body_cutoff),
	    cmocka_unit_test(test_http_streamed_body),
	    cmocka_unit_test(test_http_url_truncated),
	    cmocka_unit_test(test_hostile_request_line),
	    cmocka_unit_test(test_tcp_messages),
	    cmocka_unit_test(test_udp_message),
	    cmocka_unit_test(test_quic_udp_message),
	    cmocka_unit_test(test_websocket),
	    cmocka_unit_test(test_dns_answers),
	    cmocka_unit_test(test_dns_unknown_codes_and_error),
	    cmocka_unit_test(test_missing_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
