/* HTTP flow lines (mitmdump's format, docs/architecture.md#output): the request line,
 * the response line lined up under the method, headers and bodies by
 * flow_detail, and the error.  Runs in the coordinator; flows are untrusted. */
#include "output/dump_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

#define URL_MIN_WIDTH 50   /* detail 1 never cuts the URL shorter than this */
#define URL_WIDTH_SLACK 25 /* room left on the line for client and method */

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool is_http1(const char *v)
{
	return !strcmp(v, "HTTP/1.0") || !strcmp(v, "HTTP/1.1");
}

static const char *req_version(const Snare__Flow *f)
{
	return f->request && f->request->http_version ? f->request->http_version : "HTTP/1.1";
}

static const char *resp_version(const Snare__Flow *f)
{
	return f->response && f->response->http_version ? f->response->http_version : "HTTP/1.1";
}

static unsigned default_port(const char *scheme)
{
	if (!strcasecmp(scheme, "https") || !strcasecmp(scheme, "wss"))
		return 443;
	return 80;
}

/* host[:port], brackets around IPv6 hosts, port left out when default. */
static char *authority(const char *scheme, const char *host, unsigned port)
{
	bool v6 = strchr(host, ':') && host[0] != '[';

	if (port == default_port(scheme))
		return xasprintf(v6 ? "[%s]" : "%s", host);
	return xasprintf(v6 ? "[%s]:%u" : "%s:%u", host, port);
}

static int parse_port(const char *s, unsigned *port)
{
	char *tail;
	unsigned long p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	p = strtoul(s, &tail, 10);
	if (*tail || p == 0 || p > 65535)
		return -EINVAL;
	*port = (unsigned)p;
	return 0;
}

/* Splits a Host header value into host and port (0 when absent); a value
 * that does not parse is kept whole as the host. */
static char *host_header_split(const char *v, unsigned *port)
{
	const char *hs = v, *he, *ps = NULL, *c;

	*port = 0;
	if (v[0] == '[' && (he = strchr(v, ']')) != NULL) {
		hs = v + 1;
		if (he[1] == ':')
			ps = he + 2;
		else if (he[1])
			return xstrdup(v);
	} else {
		c = strchr(v, ':');
		if (c && strchr(c + 1, ':'))
			return xstrdup(v); /* a bare IPv6 literal */
		he = c ? c : v + strlen(v);
		ps = c ? c + 1 : NULL;
	}
	if (ps && parse_port(ps, port) < 0)
		return xstrdup(v);
	return xstrndup(hs, (size_t)(he - hs));
}

/* The Host header (or the HTTP/2 authority) as a new string, or NULL. */
static char *host_header(const Snare__HttpRequest *r)
{
	static const char name[] = "host";

	for (size_t i = 0; i < r->n_headers; i++) {
		const Snare__Header *h = r->headers[i];

		if (h->has_name && h->name.len == sizeof(name) - 1 &&
		    !strncasecmp((const char *)h->name.data, name, sizeof(name) - 1) &&
		    h->has_value && h->value.len > 0)
			return xstrndup((const char *)h->value.data, h->value.len);
	}
	return r->authority && r->authority[0] ? xstrdup(r->authority) : NULL;
}

/* request.url, or request.pretty_url with showhost. */
char *dump_request_url(const Snare__HttpRequest *r, bool showhost)
{
	const char *scheme = r->scheme && r->scheme[0] ? r->scheme : "http";
	const char *host = or_empty(r->host);
	unsigned port = r->has_port ? r->port : default_port(scheme);
	char *hh, *hostbuf = NULL, *auth, *url;

	if (r->method && !strcmp(r->method, "CONNECT"))
		return xasprintf(strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	hh = showhost ? host_header(r) : NULL;
	if (hh && hh[0]) {
		hostbuf = host_header_split(hh, &port);
		host = hostbuf;
		if (port == 0)
			port = default_port(scheme);
	}
	free(hh);
	auth = authority(scheme, host, port);
	url = xasprintf("%s://%s%s", scheme, auth, or_empty(r->path));
	free(auth);
	free(hostbuf);
	return url;
}

/* Cuts the URL after `limit` characters (not bytes) and adds "…". */
static void url_truncate(char **url, size_t limit)
{
	const uint8_t *p = (const uint8_t *)*url;
	size_t n = strlen(*url), i = 0, chars = 0, k;
	char *cut;

	while (i < n && chars < limit) {
		k = dump_utf8_len(p + i, n - i);
		i += k ? k : 1;
		chars++;
	}
	if (i >= n)
		return;
	cut = xasprintf("%.*s\u2026", (int)i, *url);
	free(*url);
	*url = cut;
}

static void request_line(FILE *out, const Snare__Flow *f, const struct dump_opts *o,
			 const char *client)
{
	const char *ver = req_version(f);
	char *url = dump_request_url(f->request, o->showhost);

	if (o->flow_detail == 1 && o->term_width > 0) {
		int w = o->term_width - URL_WIDTH_SLACK;

		url_truncate(&url, (size_t)(w > URL_MIN_WIDTH ? w : URL_MIN_WIDTH));
	}
	fprintf(out, "%s: ", client);
	dump_text(out, f->request->method ? f->request->method : "?");
	fputc(' ', out);
	dump_text(out, url);
	if (!is_http1(ver) || strcmp(ver, resp_version(f))) {
		fputc(' ', out);
		dump_text(out, ver);
	}
	fputc('\n', out);
	free(url);
}

/* HTTP/2 and HTTP/3 carry no reason phrase: mitmproxy shows the standard one. */
const char *dump_status_reason(unsigned code)
{
	static const struct {
		unsigned code;
		const char *reason;
	} reasons[] = {
	    {100, "Continue"},
	    {101, "Switching Protocols"},
	    {200, "OK"},
	    {201, "Created"},
	    {202, "Accepted"},
	    {204, "No Content"},
	    {206, "Partial Content"},
	    {301, "Moved Permanently"},
	    {302, "Found"},
	    {303, "See Other"},
	    {304, "Not Modified"},
	    {307, "Temporary Redirect"},
	    {308, "Permanent Redirect"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {407, "Proxy Authentication Required"},
	    {408, "Request Timeout"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {413, "Payload Too Large"},
	    {415, "Unsupported Media Type"},
	    {418, "I'm a teapot"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "";
}

static void response_size(const Snare__HttpResponse *r, char *buf, size_t len)
{
	if (r->has_content_length)
		dump_pretty_size(r->content_length, buf, len);
	else if (r->has_content)
		dump_pretty_size(r->content.len, buf, len);
	else
		snprintf(buf, len, "(content missing)");
}

static void response_line(FILE *out, const Snare__Flow *f, const struct dump_opts *o,
			  const char *client)
{
	const Snare__HttpResponse *r = f->response;
	const char *ver = resp_version(f);
	bool h2 = !strncmp(ver, "HTTP/2", 6) || !strncmp(ver, "HTTP/3", 6);
	bool show_ver = !is_http1(ver) || strcmp(req_version(f), ver);
	/* mitmdump: "[replay]" before the arrows of a server replay's answer */
	bool replayed = f->is_replay && strcmp(f->is_replay, "response") == 0;
	size_t used = 2 + (show_ver ? strlen(ver) + 1 : 0) + (replayed ? 8 : 0), pad = 0;
	char size[32];

	if (o->flow_detail == 1 && strlen(client) > used)
		pad = strlen(client) - used;
	response_size(r, size, sizeof(size));
	fprintf(out, "%s%*s << ", replayed ? "[replay]" : "", (int)pad, "");
	if (show_ver) {
		dump_text(out, ver);
		fputc(' ', out);
	}
	fprintf(out, "%u ", r->has_status_code ? r->status_code : 0);
	dump_text(out, h2 ? dump_status_reason(r->status_code) : or_empty(r->reason));
	fprintf(out, " %s\n", size);
}

static void message_details(FILE *out, int detail, Snare__Header *const *headers, size_t nh,
			    Snare__Header *const *trailers, size_t nt,
			    const ProtobufCBinaryData *body, bool present)
{
	if (detail >= 2)
		dump_headers(out, headers, nh);
	if (detail >= 3)
		dump_body(out, body->data, body->len, present, detail);
	if (detail >= 2)
		dump_trailers(out, trailers, nt);
}

void dump_http(FILE *out, const Snare__Flow *f, const struct dump_opts *o)
{
	const Snare__HttpRequest *q = f->request;
	const Snare__HttpResponse *r = f->response;
	char client[DUMP_ADDRLEN];

	dump_client(f, client, sizeof(client));
	if (q) {
		/* mitmdump shows a client replay's request as "[replay]" */
		request_line(out, f, o,
			     f->is_replay && strcmp(f->is_replay, "request") == 0 ? "[replay]"
										  : client);
		message_details(out, o->flow_detail, q->headers, q->n_headers, q->trailers,
				q->n_trailers, &q->content, q->has_content || !q->content_streamed);
	}
	if (r) {
		response_line(out, f, o, client);
		message_details(out, o->flow_detail, r->headers, r->n_headers, r->trailers,
				r->n_trailers, &r->content, r->has_content || !r->content_streamed);
	}
	if (f->websocket)
		dump_websocket(out, f, o);
	if (f->error) {
		fputs(" << ", out);
		dump_text(out, f->error);
		fputc('\n', out);
	}
}
