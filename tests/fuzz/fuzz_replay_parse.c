/* Fuzz target (test process only): any bytes through the replay module's
 * parsers of untrusted text.  The input is cut at its first two NULs into
 * a request target, a body and a header value; they go through the query
 * and form splitting (urlencoded or multipart), the match hash (with every ignore option on one
 * server and none on another), the date parser, refresh of Date and
 * Set-Cookie, and the HTTP/1.1 request builder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/unconst.h"
#include "replay/replay_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool count(const struct replay_pair *p, void *arg)
{
	char *tmp = malloc(p->nlen + p->vlen + 1);

	replay_unquote(p->name, p->nlen, tmp);
	replay_unquote(p->value, p->vlen, tmp);
	free(tmp);
	++*(size_t *)arg;
	return true;
}

static void header(Snare__Header *h, const char *name, const char *v, size_t n)
{
	snare__header__init(h);
	h->has_name = h->has_value = true;
	h->name = (ProtobufCBinaryData){strlen(name), unconst(name)};
	h->value = (ProtobufCBinaryData){n, unconst(v)};
}

static void hash_both(const Snare__HttpRequest *q)
{
	static const char *const names[] = {"a", "ts", "X-T"};
	struct replay_server_opts none = {0}, all = {.ignore_params = names,
						     .n_ignore_params = 3,
						     .ignore_payload_params = names,
						     .n_ignore_payload_params = 3,
						     .use_headers = names,
						     .n_use_headers = 3};
	struct replay_server *s;
	uint8_t key[32];

	if (replay_server_new(&none, &s) == 0) {
		replay_server_hash(s, q, key);
		replay_server_free(s);
	}
	if (replay_server_new(&all, &s) == 0) {
		replay_server_hash(s, q, key);
		replay_server_free(s);
	}
}

static void refresh(const char *v, size_t n)
{
	Snare__Flow f;
	Snare__HttpResponse r;
	Snare__Header h[3], *hp[3] = {&h[0], &h[1], &h[2]};
	Snare__Flow *c;

	snare__flow__init(&f);
	snare__http_response__init(&r);
	header(&h[0], "Date", v, n);
	header(&h[1], "Set-Cookie", v, n);
	header(&h[2], "set-cookie", "a=b; expires=", 13);
	r.headers = hp;
	r.n_headers = 3;
	r.has_timestamp_start = true;
	r.timestamp_start = 1e9;
	f.response = &r;
	if ((c = replay_flow_copy(&f))) {
		replay_refresh(c->response, 1.5e9);
		snare__flow__free_unpacked(c, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3), *target, *body, *value, *z;
	Snare__HttpRequest q;
	Snare__Header h[2], *hp[2] = {&h[0], &h[1]};
	size_t n = 0, plen, qlen, vlen;
	const char *query;
	int64_t t;
	uint8_t *out;
	size_t outlen;

	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = 0;
	target = buf;
	body = target + strlen(target) + 1;
	value = body + strlen(body) + 1;
	vlen = (z = memchr(value, 0, (size_t)(buf + size + 1 - value))) ? (size_t)(z - value) : 0;
	replay_split_target(target, strlen(target), &plen, &query, &qlen);
	replay_pairs(query, qlen, count, &n);
	replay_pairs(body, strlen(body), count, &n);
	(void)replay_date_parse(value, vlen, &t);
	refresh(value, vlen);

	snare__http_request__init(&q);
	q.method = unconst("POST");
	q.scheme = unconst("http");
	q.host = unconst("a.test");
	q.has_port = true;
	q.port = 80;
	q.path = target;
	q.has_content = true;
	q.content = (ProtobufCBinaryData){strlen(body), (uint8_t *)body};
	if (size & 2)
		header(&h[0], "Content-Type", "multipart/form-data; boundary=b", 31);
	else
		header(&h[0], "Content-Type", "application/x-www-form-urlencoded", 33);
	header(&h[1], "Host", value, vlen);
	q.headers = hp;
	q.n_headers = 2;
	hash_both(&q);
	if (replay_request_wire(&q, size & 1, &out, &outlen) == 0)
		free(out);
	free(buf);
	return 0;
}
