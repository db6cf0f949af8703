/* Flows for the script and rewrite tests, built on the stack as the worker
 * builds them (the test owns every byte), and for the script tests (when
 * script/script.h is included first) a log that keeps what scripts said. */
#ifndef TEST_FLOW_FIXTURE_H
#define TEST_FLOW_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "flow.pb-c.h"
#include "flowedit/flowedit.h"
#include "core/unconst.h"

#ifdef SNARE_SCRIPT_H
#define FX_START(x) script_flow_init(&(x)->sf, &(x)->flow)
#else
#define FX_START(x) flowedit_init(&(x)->edits)
#endif

#define FX_MAX_HDR 8
#define FX_MAX_MSG 4

struct fx {
	Snare__Flow flow;
	Snare__HttpRequest req;
	Snare__HttpResponse resp;
	Snare__Header hdr[FX_MAX_HDR], rhdr[FX_MAX_HDR];
	Snare__Header *hp[FX_MAX_HDR], *rhp[FX_MAX_HDR];
	Snare__Connection client, server;
	Snare__Address cpeer, csock, saddr;
	Snare__TlsInfo ctls;
	Snare__Message msg[FX_MAX_MSG], *mp[FX_MAX_MSG];
	Snare__DnsMessage dq, dr;
	Snare__DnsRecord q, a, *qp, *ap;
#ifdef SNARE_SCRIPT_H
	struct script_flow sf;
#else
	struct flowedit edits;
#endif
};

static inline ProtobufCBinaryData fx_bytes(const char *s)
{
	return (ProtobufCBinaryData){.len = strlen(s), .data = unconst(s)};
}

static inline void fx_header(Snare__Header *h, const char *n, const char *v)
{
	snare__header__init(h);
	h->has_name = h->has_value = 1;
	h->name = fx_bytes(n);
	h->value = fx_bytes(v);
}

static inline void fx_conns(struct fx *x)
{
	snare__connection__init(&x->client);
	snare__connection__init(&x->server);
	snare__address__init(&x->cpeer);
	snare__address__init(&x->csock);
	snare__address__init(&x->saddr);
	snare__tls_info__init(&x->ctls);
	x->cpeer.host = "192.0.2.7";
	x->cpeer.has_port = 1;
	x->cpeer.port = 40000;
	x->csock.host = "127.0.0.1";
	x->csock.has_port = 1;
	x->csock.port = 8080;
	x->saddr.host = "example.com";
	x->saddr.has_port = 1;
	x->saddr.port = 443;
	x->ctls.sni = "example.com";
	x->ctls.version = "TLSv1.3";
	x->ctls.alpn = "http/1.1";
	x->client.peer = &x->cpeer;
	x->client.sock = &x->csock;
	x->client.tls = &x->ctls;
	x->client.has_pid = 1;
	x->client.pid = 4242;
	x->client.process_name = "curl";
	x->server.address = &x->saddr;
	x->flow.client = &x->client;
	x->flow.server = &x->server;
}

/* GET https://example.com/index.html with two headers (and a response
 * 200 "hello" with one header when with_response). */
static inline void fx_http(struct fx *x, bool with_response)
{
	memset(x, 0, sizeof(*x));
	snare__flow__init(&x->flow);
	snare__http_request__init(&x->req);
	x->flow.id = "0d2f8d7e-5a0c-4f7e-9b3c-2b1f6a0e9c11";
	x->flow.has_type = 1;
	x->flow.type = SNARE__FLOW__TYPE__HTTP;
	fx_conns(x);
	x->req.method = "GET";
	x->req.scheme = "https";
	x->req.host = "example.com";
	x->req.has_port = 1;
	x->req.port = 443;
	x->req.path = "/index.html";
	x->req.http_version = "HTTP/1.1";
	fx_header(&x->hdr[0], "Host", "example.com");
	fx_header(&x->hdr[1], "Accept", "*/*");
	x->hp[0] = &x->hdr[0];
	x->hp[1] = &x->hdr[1];
	x->req.headers = x->hp;
	x->req.n_headers = 2;
	x->req.has_content = 1;
	x->req.content = fx_bytes("");
	x->flow.request = &x->req;
	if (with_response) {
		snare__http_response__init(&x->resp);
		x->resp.http_version = "HTTP/1.1";
		x->resp.has_status_code = 1;
		x->resp.status_code = 200;
		x->resp.reason = "OK";
		fx_header(&x->rhdr[0], "Content-Type", "text/plain");
		x->rhp[0] = &x->rhdr[0];
		x->resp.headers = x->rhp;
		x->resp.n_headers = 1;
		x->resp.has_content = 1;
		x->resp.content = fx_bytes("hello");
		x->flow.response = &x->resp;
	}
	FX_START(x);
}

/* A TCP (or UDP, or WebSocket when ws) flow whose last message is text. */
static inline void fx_stream(struct fx *x, Snare__Flow__Type type, bool ws, const char *text,
			     bool from_client)
{
	memset(x, 0, sizeof(*x));
	snare__flow__init(&x->flow);
	x->flow.id = "5b1c2d3e-0000-4000-8000-000000000001";
	x->flow.has_type = 1;
	x->flow.type = type;
	x->flow.has_websocket = ws;
	x->flow.websocket = ws;
	fx_conns(x);
	snare__message__init(&x->msg[0]);
	x->msg[0].has_content = x->msg[0].has_from_client = 1;
	x->msg[0].content = fx_bytes(text);
	x->msg[0].from_client = from_client;
	x->msg[0].has_kind = ws;
	x->msg[0].kind = ws ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__RAW;
	x->mp[0] = &x->msg[0];
	x->flow.messages = x->mp;
	x->flow.n_messages = 1;
	FX_START(x);
}

/* A DNS query for name/type (and an upstream answer of one A record with
 * address addr when addr is given). */
static inline void fx_dns(struct fx *x, const char *name, unsigned type, const char *addr,
			  const uint8_t *addr_bytes)
{
	memset(x, 0, sizeof(*x));
	snare__flow__init(&x->flow);
	x->flow.id = "7a7a7a7a-0000-4000-8000-000000000002";
	x->flow.has_type = 1;
	x->flow.type = SNARE__FLOW__TYPE__DNS;
	fx_conns(x);
	snare__dns_message__init(&x->dq);
	snare__dns_record__init(&x->q);
	x->q.name = unconst(name);
	x->q.has_type = x->q.has_class_ = 1;
	x->q.type = type;
	x->q.class_ = 1;
	x->qp = &x->q;
	x->dq.has_id = 1;
	x->dq.id = 0x1234;
	x->dq.questions = &x->qp;
	x->dq.n_questions = 1;
	x->flow.dns_request = &x->dq;
	if (addr) {
		x->dr = x->dq;
		x->dr.has_response = x->dr.response = 1;
		x->dr.has_rcode = 1;
		snare__dns_record__init(&x->a);
		x->a.name = unconst(name);
		x->a.has_type = x->a.has_class_ = x->a.has_ttl = x->a.has_data = 1;
		x->a.type = 1;
		x->a.class_ = 1;
		x->a.ttl = 300;
		x->a.data = (ProtobufCBinaryData){.len = 4, .data = unconst(addr_bytes)};
		x->a.display = unconst(addr);
		x->ap = &x->a;
		x->dr.answers = &x->ap;
		x->dr.n_answers = 1;
		x->flow.dns_response = &x->dr;
	}
	FX_START(x);
}

#ifdef SNARE_SCRIPT_H
/* What the scripts logged: the last line per level and a count. */
static char fx_log_last[4][8192];
static int fx_log_count[4];

static inline void fx_log(void *arg, enum log_level lvl, const char *script, const char *msg)
{
	snprintf(fx_log_last[lvl], sizeof(fx_log_last[lvl]), "%s: %s", script, msg);
	fx_log_count[lvl]++;
}

static inline void fx_log_reset(void)
{
	memset(fx_log_last, 0, sizeof(fx_log_last));
	memset(fx_log_count, 0, sizeof(fx_log_count));
}

static inline struct script *fx_load_limited(const char *name, const char *text,
					     const struct script_limits *lim)
{
	struct script *s = NULL;
	char err[512] = "";
	int rc = script_load(name, text, strlen(text), lim, fx_log, NULL, &s, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "load %s: %s\n", name, err);
	return s;
}

static inline struct script *fx_load(const char *text)
{
	return fx_load_limited("t.lua", text, NULL);
}

#endif

/* The header's value in a flow list as a C string (static buffer). */
static inline const char *fx_hget(Snare__Header **h, size_t n, const char *name)
{
	static char buf[1024];

	return flowedit_header_get(h, n, name, buf, sizeof(buf));
}

static inline int fx_bytes_eq(ProtobufCBinaryData b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

#endif
