/* One HAR 1.2 entry from one HTTP flow: request, response (or a status 0
 * response carrying the error, as mitmproxy writes it), bodies decoded
 * (daemon/encoding) and shown as text or base64, timings in milliseconds,
 * WebSocket messages as Chrome's "_webSocketMessages".  Flows are untrusted. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encoding/encoding.h"
#include "output/dump_int.h"
#include "output/har.h"
#include "output/har_int.h"

/* "2026-01-02T03:04:05.678Z"; the epoch for a time that is not one. */
static json_t *iso_time(double t)
{
	time_t secs = 0;
	int msec = 0;
	struct tm tm;
	char buf[64];

	if (isfinite(t) && t >= 0 && t < 253402300800.0) { /* before year 10000 */
		secs = (time_t)t;
		msec = (int)((t - (double)secs) * 1000.0) % 1000;
	}
	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03dZ", msec);
	return json_string(buf);
}

/* Whole milliseconds from a to b; 0 when either is missing or b < a. */
static json_int_t ms_between(bool has_a, double a, bool has_b, double b)
{
	double d = (b - a) * 1000.0;

	return has_a && has_b && isfinite(d) && d > 0 && d < 1e12 ? (json_int_t)d : 0;
}

static const char *http_version(const char *v)
{
	if (!v || !v[0])
		return "";
	if (!strcmp(v, "HTTP/2"))
		return "HTTP/2.0";
	if (!strcmp(v, "HTTP/3"))
		return "HTTP/3.0";
	return v;
}

/* Why a body could not be decoded, for the entry's comment. */
static const char *decode_failure(int rc)
{
	switch (rc) {
	case -EMSGSIZE:
		return "its Content-Encoding expands past " HAR_BODY_CAP_TEXT;
	case -ENOTSUP:
		return "its Content-Encoding is not one snare decodes";
	default:
		return "its Content-Encoding does not decode (corrupt or cut short)";
	}
}

/* The text, or base64 of bytes that are not UTF-8 text. */
static void set_text(json_t *c, const uint8_t *p, size_t n)
{
	if (har_is_text(p, n)) {
		json_object_set_new(c, "text", har_str(p, n));
		return;
	}
	json_object_set_new(c, "text", har_base64(p, n));
	json_object_set_new(c, "encoding", json_string("base64"));
}

/* The body as HAR content: decoded when its Content-Encoding allows, else
 * the bytes as they came, with a comment saying so. */
static json_t *content(Snare__Header *const *h, size_t nh, bool has, const ProtobufCBinaryData *b)
{
	json_t *c = json_object(), *ce = har_header_value(h, nh, "content-encoding");
	json_t *mime = har_header_value(h, nh, "content-type");
	const uint8_t *p = has ? b->data : NULL;
	size_t n = has ? b->len : 0, dlen = 0;
	uint8_t *dec = NULL;
	int rc = 0;

	if (n > 0 && json_string_length(ce) > 0) {
		rc = encoding_decode(json_string_value(ce), json_string_length(ce), p, n,
				     HAR_BODY_CAP, &dec, &dlen);
		if (rc == 0) {
			p = dec;
			n = dlen;
		}
	}
	json_object_set_new(c, "size", json_integer((json_int_t)n));
	json_object_set_new(c, "compression",
			    json_integer((json_int_t)n - (json_int_t)(has ? b->len : 0)));
	json_object_set_new(
	    c, "mimeType", json_string_length(mime) ? json_incref(mime) : json_string("x-unknown"));
	if (has)
		set_text(c, p, n);
	if (rc < 0)
		json_object_set_new(c, "comment", json_string(decode_failure(rc)));
	free(dec);
	json_decref(ce);
	json_decref(mime);
	return c;
}

static json_int_t body_size(bool has, const ProtobufCBinaryData *b, bool has_len, uint64_t len)
{
	if (has_len)
		return (json_int_t)len;
	return has ? (json_int_t)b->len : 0;
}

/* postData: the decoded body with its type; form fields as params. */
static json_t *post_data(const Snare__HttpRequest *r)
{
	json_t *c = content(r->headers, r->n_headers, r->has_content, &r->content);
	json_t *pd = json_object(), *params = json_array();
	const char *type = json_string_value(json_object_get(c, "mimeType"));
	const char *text = json_string_value(json_object_get(c, "text"));

	if (strstr(type, "application/x-www-form-urlencoded") && text &&
	    !json_object_get(c, "encoding")) {
		char *q = xasprintf("?%s", text);

		json_decref(params);
		params = har_query(q);
		free(q);
	}
	json_object_set(pd, "mimeType", json_object_get(c, "mimeType"));
	json_object_set_new(pd, "params", params);
	json_object_set(pd, "text", json_object_get(c, "text"));
	if (json_object_get(c, "encoding"))
		json_object_set_new(pd, "encoding", json_string("base64"));
	json_decref(c);
	return pd;
}

static json_t *request(const Snare__HttpRequest *r)
{
	json_t *q = json_object();
	char *url = dump_request_url(r, true);

	json_object_set_new(q, "method", har_cstr(r->method));
	json_object_set_new(q, "url", har_cstr(url));
	json_object_set_new(q, "httpVersion", json_string(http_version(r->http_version)));
	json_object_set_new(q, "cookies", har_cookies(r->headers, r->n_headers));
	json_object_set_new(q, "headers", har_headers(r->headers, r->n_headers));
	json_object_set_new(q, "queryString", har_query(r->path));
	json_object_set_new(q, "headersSize", json_integer(-1));
	json_object_set_new(q, "bodySize",
			    json_integer(body_size(r->has_content, &r->content,
						   r->has_content_length, r->content_length)));
	if (r->has_content && r->content.len > 0)
		json_object_set_new(q, "postData", post_data(r));
	free(url);
	return q;
}

static json_t *response(const Snare__HttpResponse *r, const char *error)
{
	json_t *s = json_object();

	json_object_set_new(s, "status", json_integer(r ? r->status_code : 0));
	json_object_set_new(s, "statusText", har_cstr(r ? r->reason : NULL));
	json_object_set_new(s, "httpVersion",
			    json_string(http_version(r ? r->http_version : NULL)));
	json_object_set_new(s, "cookies",
			    r ? har_set_cookies(r->headers, r->n_headers) : json_array());
	json_object_set_new(s, "headers", r ? har_headers(r->headers, r->n_headers) : json_array());
	json_object_set_new(s, "content",
			    r ? content(r->headers, r->n_headers, r->has_content, &r->content)
			      : json_pack("{s:i, s:s}", "size", 0, "mimeType", "x-unknown"));
	json_object_set_new(s, "redirectURL",
			    r ? har_header_value(r->headers, r->n_headers, "location")
			      : har_cstr(""));
	json_object_set_new(s, "headersSize", json_integer(-1));
	json_object_set_new(s, "bodySize",
			    json_integer(r ? body_size(r->has_content, &r->content,
						       r->has_content_length, r->content_length)
					   : -1));
	if (error && error[0])
		json_object_set_new(s, "_error", har_cstr(error));
	return s;
}

/* send, wait and receive from the messages' timestamps; connect (TLS
 * included, as HAR allows) only for the first flow on a server connection. */
static json_t *timings(const Snare__Flow *f, json_t *seen, json_int_t *total)
{
	const Snare__HttpRequest *q = f->request;
	const Snare__HttpResponse *r = f->response;
	const Snare__Connection *s = f->server;
	json_int_t send = ms_between(q->has_timestamp_start, q->timestamp_start,
				     q->has_timestamp_end, q->timestamp_end);
	json_int_t wait = r ? ms_between(q->has_timestamp_end, q->timestamp_end,
					 r->has_timestamp_start, r->timestamp_start)
			    : 0;
	json_int_t receive = r ? ms_between(r->has_timestamp_start, r->timestamp_start,
					    r->has_timestamp_end, r->timestamp_end)
			       : 0;
	json_int_t connect = -1;

	if (s && s->id && s->id[0] && !json_object_get(seen, s->id) && s->has_timestamp_start &&
	    s->has_timestamp_tls_setup) {
		connect = ms_between(true, s->timestamp_start, true, s->timestamp_tls_setup);
		json_object_set_new(seen, s->id, json_true());
	}
	*total = send + wait + receive + (connect > 0 ? connect : 0);
	return json_pack("{s:i, s:i, s:I, s:i, s:I, s:I, s:I}", "blocked", -1, "dns", -1, "connect",
			 connect, "ssl", -1, "send", send, "wait", wait, "receive", receive);
}

static json_t *ws_messages(const Snare__Flow *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < f->n_messages; i++) {
		const Snare__Message *m = f->messages[i];
		bool text = m->kind == SNARE__MESSAGE__KIND__TEXT;
		json_t *o = json_object();

		json_object_set_new(o, "type", json_string(m->from_client ? "send" : "receive"));
		json_object_set_new(o, "time", json_real(m->timestamp));
		json_object_set_new(o, "opcode", json_integer(text ? 1 : 2));
		json_object_set_new(o, "data",
				    text ? har_str(m->content.data, m->content.len)
					 : har_base64(m->content.data, m->content.len));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *har_entry(const Snare__Flow *f, json_t *seen)
{
	const Snare__HttpRequest *q = f->request;
	const Snare__Connection *s = f->server;
	json_t *e = json_object();
	json_int_t total;

	json_object_set_new(
	    e, "startedDateTime",
	    iso_time(q->has_timestamp_start ? q->timestamp_start : f->timestamp_created));
	json_object_set_new(e, "request", request(q));
	json_object_set_new(e, "response", response(f->response, f->error));
	json_object_set_new(e, "cache", json_object());
	json_object_set_new(e, "timings", timings(f, seen, &total));
	json_object_set_new(e, "time", json_integer(total));
	if (s && s->peer && s->peer->host && s->peer->host[0])
		json_object_set_new(e, "serverIPAddress", har_cstr(s->peer->host));
	if (s && s->id && s->id[0])
		json_object_set_new(e, "connection", har_cstr(s->id));
	if (f->has_websocket && f->websocket)
		json_object_set_new(e, "_webSocketMessages", ws_messages(f));
	return e;
}
