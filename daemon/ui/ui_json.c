/* Runs in the ui: flows, summaries and events as the JSON of
 * docs/web-api.md (jansson).  Everything in a flow is untrusted bytes:
 * strings are made valid UTF-8 on the way out (a byte that is not part of
 * a valid sequence is written as the four characters \xNN). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"

json_t *ui_json_bytes(const uint8_t *p, size_t n)
{
	char *out = xmalloc(n * 4 + 1);
	size_t i = 0, o = 0;
	json_t *j;

	while (i < n) {
		size_t k = p[i] < 0x80 ? 1 : esc_utf8_len(p + i, n - i);

		if (k == 0) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", p[i]);
			i++;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	j = json_stringn(out, o);
	free(out);
	return j ? j : json_string("");
}

json_t *ui_json_str(const char *s)
{
	return s ? ui_json_bytes((const uint8_t *)s, strlen(s)) : json_null();
}

static json_t *opt_str(const struct ui_store *s, size_t i, enum ui_str k)
{
	bool present;
	const char *v = ui_store_str(s, i, k, &present);

	return present ? ui_json_str(v) : json_null();
}

static bool default_port(const char *scheme, unsigned port)
{
	return (strcmp(scheme, "http") == 0 && port == 80) ||
	       (strcmp(scheme, "https") == 0 && port == 443);
}

static json_t *summary_url(const struct ui_store *s, size_t i, const struct ui_sum *m)
{
	const char *scheme = ui_store_str(s, i, UI_S_SCHEME, NULL);
	const char *host = ui_store_str(s, i, UI_S_HOST, NULL);
	const char *path = ui_store_str(s, i, UI_S_PATH, NULL);
	bool v6 = strchr(host, ':') != NULL;
	char *url;
	json_t *j;

	if (*host == '\0')
		return json_null();
	if (m->port == 0 || default_port(scheme, m->port))
		url = xasprintf("%s://%s%s%s%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "", path);
	else
		url = xasprintf("%s://%s%s%s:%u%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
				m->port, path);
	j = ui_json_str(url);
	free(url);
	return j;
}

static json_t *summary_process(const struct ui_store *s, size_t i, const struct ui_sum *m)
{
	if (!(m->flags & UI_F_PROCESS))
		return json_null();
	return json_pack("{s:o,s:o}", "name", opt_str(s, i, UI_S_PROCESS), "pid",
			 m->pid ? json_integer(m->pid) : json_null());
}

/* Held by intercept: "request" or "response" (which part waits), else false. */
static json_t *summary_held(const struct ui_store *s, size_t i)
{
	unsigned phase;

	if (!ui_hold_is_held(ui_store_str(s, i, UI_S_ID, NULL), &phase))
		return json_false();
	return json_string(phase ? "response" : "request");
}

json_t *ui_json_summary(const struct ui_store *s, size_t i)
{
	const struct ui_sum *m = ui_store_sum(s, i);
	json_t *j = json_object();

	json_object_set_new(j, "id", opt_str(s, i, UI_S_ID));
	json_object_set_new(j, "seq", json_integer(m->seq));
	json_object_set_new(j, "type", json_string(ui_kind_name(m->kind)));
	json_object_set_new(j, "method", opt_str(s, i, UI_S_METHOD));
	json_object_set_new(j, "scheme", opt_str(s, i, UI_S_SCHEME));
	json_object_set_new(j, "host", opt_str(s, i, UI_S_HOST));
	json_object_set_new(j, "port", m->port ? json_integer(m->port) : json_null());
	json_object_set_new(j, "path", opt_str(s, i, UI_S_PATH));
	json_object_set_new(j, "url", summary_url(s, i, m));
	json_object_set_new(j, "http_version", opt_str(s, i, UI_S_VERSION));
	json_object_set_new(j, "status",
			    m->flags & UI_F_STATUS ? json_integer(m->status) : json_null());
	json_object_set_new(j, "req_size", json_integer((json_int_t)m->req_size));
	json_object_set_new(j, "resp_size", json_integer((json_int_t)m->resp_size));
	json_object_set_new(j, "content_type", opt_str(s, i, UI_S_CTYPE));
	json_object_set_new(j, "ts_start", json_real(m->ts_start));
	json_object_set_new(j, "duration_ms",
			    m->flags & UI_F_DURATION ? json_real(m->duration_ms) : json_null());
	json_object_set_new(j, "client", opt_str(s, i, UI_S_CLIENT));
	json_object_set_new(j, "server", opt_str(s, i, UI_S_SERVER));
	json_object_set_new(j, "process", summary_process(s, i, m));
	json_object_set_new(j, "marked", json_boolean(m->flags & UI_F_MARKED));
	json_object_set_new(j, "is_replay",
			    m->replay == UI_REPLAY_REQUEST    ? json_string("request")
			    : m->replay == UI_REPLAY_RESPONSE ? json_string("response")
							      : json_null());
	json_object_set_new(j, "error", opt_str(s, i, UI_S_ERROR));
	json_object_set_new(j, "messages", json_integer(m->messages));
	json_object_set_new(j, "dns_name", opt_str(s, i, UI_S_DNS));
	json_object_set_new(j, "intercepted", summary_held(s, i));
	return j;
}

/* ---- the whole flow ---- */

static json_t *num_or_null(protobuf_c_boolean has, double v)
{
	return has ? json_real(v) : json_null();
}

static json_t *headers_json(Snare__Header *const *h, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("[o,o]", ui_json_bytes(h[i]->name.data, h[i]->name.len),
				 ui_json_bytes(h[i]->value.data, h[i]->value.len)));
	return a;
}

static json_t *request_json(const Snare__HttpRequest *q)
{
	json_t *j;

	if (q == NULL)
		return json_null();
	j = json_object();
	json_object_set_new(j, "method", ui_json_str(q->method));
	json_object_set_new(j, "scheme", ui_json_str(q->scheme));
	json_object_set_new(j, "host", ui_json_str(q->host));
	json_object_set_new(j, "port", q->has_port ? json_integer(q->port) : json_null());
	json_object_set_new(j, "path", ui_json_str(q->path));
	json_object_set_new(j, "authority", ui_json_str(q->authority));
	json_object_set_new(j, "http_version", ui_json_str(q->http_version));
	json_object_set_new(j, "headers", headers_json(q->headers, q->n_headers));
	json_object_set_new(j, "trailers", headers_json(q->trailers, q->n_trailers));
	json_object_set_new(j, "content_length",
			    q->has_content_length ? json_integer((json_int_t)q->content_length)
						  : json_null());
	json_object_set_new(j, "content_streamed", json_boolean(q->content_streamed));
	json_object_set_new(j, "timestamp_start",
			    num_or_null(q->has_timestamp_start, q->timestamp_start));
	json_object_set_new(j, "timestamp_end",
			    num_or_null(q->has_timestamp_end, q->timestamp_end));
	return j;
}

static json_t *response_json(const Snare__HttpResponse *r)
{
	json_t *j;

	if (r == NULL)
		return json_null();
	j = json_object();
	json_object_set_new(j, "http_version", ui_json_str(r->http_version));
	json_object_set_new(j, "status_code",
			    r->has_status_code ? json_integer(r->status_code) : json_null());
	json_object_set_new(j, "reason", ui_json_str(r->reason));
	json_object_set_new(j, "headers", headers_json(r->headers, r->n_headers));
	json_object_set_new(j, "trailers", headers_json(r->trailers, r->n_trailers));
	json_object_set_new(j, "content_length",
			    r->has_content_length ? json_integer((json_int_t)r->content_length)
						  : json_null());
	json_object_set_new(j, "content_streamed", json_boolean(r->content_streamed));
	json_object_set_new(j, "timestamp_start",
			    num_or_null(r->has_timestamp_start, r->timestamp_start));
	json_object_set_new(j, "timestamp_end",
			    num_or_null(r->has_timestamp_end, r->timestamp_end));
	return j;
}

static json_t *messages_json(const Snare__Flow *f)
{
	static const char *const kinds[] = {"raw", "text", "binary"};
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < f->n_messages; i++) {
		const Snare__Message *m = f->messages[i];

		json_array_append_new(
		    a, json_pack("{s:b,s:o,s:I,s:s,s:b}", "from_client", m->from_client, "ts",
				 num_or_null(m->has_timestamp, m->timestamp), "size",
				 (json_int_t)(m->has_content ? m->content.len : 0), "kind",
				 (unsigned)m->kind < 3 ? kinds[m->kind] : "raw", "truncated",
				 m->truncated));
	}
	return a;
}

static json_t *records_json(Snare__DnsRecord *const *r, size_t n, bool answers)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *x = json_pack("{s:o,s:i}", "name", ui_json_str(r[i]->name), "type",
				      (int)r[i]->type);

		if (answers) {
			json_object_set_new(x, "ttl", json_integer(r[i]->ttl));
			json_object_set_new(x, "data",
					    r[i]->display
						? ui_json_str(r[i]->display)
						: ui_json_bytes(r[i]->data.data, r[i]->data.len));
		}
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *dns_msg_json(const Snare__DnsMessage *m)
{
	if (m == NULL)
		return json_null();
	return json_pack("{s:i,s:i,s:i,s:o,s:o}", "id", (int)m->id, "opcode", (int)m->opcode,
			 "rcode", (int)m->rcode, "questions",
			 records_json(m->questions, m->n_questions, false), "answers",
			 records_json(m->answers, m->n_answers, true));
}

static json_t *addr_json(const Snare__Address *a)
{
	char buf[300];

	if (a == NULL || a->host == NULL)
		return json_null();
	snprintf(buf, sizeof(buf), strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host, a->port);
	return ui_json_str(buf);
}

static json_t *tls_json(const Snare__TlsInfo *t)
{
	json_t *j;

	if (t == NULL)
		return json_null();
	j = json_pack("{s:o,s:o,s:o,s:o}", "version", ui_json_str(t->version), "cipher",
		      ui_json_str(t->cipher), "sni", ui_json_str(t->sni), "alpn",
		      ui_json_str(t->alpn));
	json_object_set_new(j, "cert", ui_json_cert(t));
	return j;
}

static json_t *conn_json(const Snare__Connection *c)
{
	json_t *j;

	if (c == NULL)
		return json_null();
	j = json_object();
	json_object_set_new(j, "peer", addr_json(c->peer));
	json_object_set_new(j, "sock", addr_json(c->sock));
	json_object_set_new(j, "address", addr_json(c->address));
	json_object_set_new(j, "tls", tls_json(c->tls));
	json_object_set_new(j, "timestamp_start",
			    num_or_null(c->has_timestamp_start, c->timestamp_start));
	json_object_set_new(j, "timestamp_tls_setup",
			    num_or_null(c->has_timestamp_tls_setup, c->timestamp_tls_setup));
	json_object_set_new(j, "timestamp_end",
			    num_or_null(c->has_timestamp_end, c->timestamp_end));
	json_object_set_new(j, "proxy_mode", ui_json_str(c->proxy_mode));
	json_object_set_new(j, "pid", c->has_pid ? json_integer(c->pid) : json_null());
	json_object_set_new(j, "process_name", ui_json_str(c->process_name));
	return j;
}

json_t *ui_json_flow(const struct ui_store *s, size_t i, const Snare__Flow *f)
{
	json_t *j = ui_json_summary(s, i);

	json_object_set_new(j, "request", request_json(f->request));
	json_object_set_new(j, "response", response_json(f->response));
	json_object_set_new(j, "messages", messages_json(f));
	json_object_set_new(j, "dns",
			    f->dns_request || f->dns_response
				? json_pack("{s:o,s:o}", "request", dns_msg_json(f->dns_request),
					    "response", dns_msg_json(f->dns_response))
				: json_null());
	json_object_set_new(j, "client_conn", conn_json(f->client));
	json_object_set_new(j, "server_conn", conn_json(f->server));
	json_object_set_new(j, "websocket_close_code",
			    f->has_websocket_close_code ? json_integer(f->websocket_close_code)
							: json_null());
	return j;
}

json_t *ui_json_event(const struct ui_event *ev)
{
	return json_pack("{s:I,s:f,s:s,s:o}", "seq", (json_int_t)ev->seq, "ts", ev->ts, "level",
			 ui_level_name(ev->level), "text", ui_json_str(ev->text));
}
