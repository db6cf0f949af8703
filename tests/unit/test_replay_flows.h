/* Flows built by hand for the replay and hold unit tests: one HTTP request
 * with up to 12 headers and an optional response.  Strings are the
 * caller's (literals); the struct holds everything else. */
#ifndef SNARE_TEST_REPLAY_FLOWS_H
#define SNARE_TEST_REPLAY_FLOWS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/unconst.h"
#include "flow.pb-c.h"

static inline ProtobufCBinaryData rf_bin(const char *s)
{
	return (ProtobufCBinaryData){strlen(s), unconst(s)};
}

static inline void rf_header_at(Snare__Header *h, Snare__Header **ptrs, size_t *n, const char *name,
				const char *value)
{
	if (*n >= 12)
		abort(); /* the test wrote more headers than struct rf holds */
	snare__header__init(&h[*n]);
	h[*n].has_name = h[*n].has_value = true;
	h[*n].name = rf_bin(name);
	h[*n].value = rf_bin(value);
	ptrs[*n] = &h[*n];
	(*n)++;
}

struct rf {
	Snare__Flow f;
	Snare__HttpRequest req;
	Snare__HttpResponse resp;
	Snare__Header qh[12], *qhp[12], rh[12], *rhp[12];
};

static inline void rf_init(struct rf *r, const char *method, const char *scheme, const char *host,
			   unsigned port, const char *path, const char *body)
{
	memset(r, 0, sizeof(*r));
	snare__flow__init(&r->f);
	snare__http_request__init(&r->req);
	r->f.has_type = true;
	r->f.type = SNARE__FLOW__TYPE__HTTP;
	r->f.request = &r->req;
	r->req.method = unconst(method);
	r->req.scheme = unconst(scheme);
	r->req.host = unconst(host);
	r->req.has_port = true;
	r->req.port = port;
	r->req.path = unconst(path);
	r->req.http_version = unconst("HTTP/1.1");
	r->req.headers = r->qhp;
	if (body) {
		r->req.has_content = true;
		r->req.content = rf_bin(body);
	}
}

static inline void rf_qheader(struct rf *r, const char *name, const char *value)
{
	rf_header_at(r->qh, r->qhp, &r->req.n_headers, name, value);
}

static inline void rf_response(struct rf *r, unsigned status, const char *body, double ts)
{
	snare__http_response__init(&r->resp);
	r->f.response = &r->resp;
	r->resp.has_status_code = true;
	r->resp.status_code = status;
	r->resp.http_version = unconst("HTTP/1.1");
	r->resp.headers = r->rhp;
	r->resp.has_content = true;
	r->resp.content = rf_bin(body);
	r->resp.has_timestamp_start = true;
	r->resp.timestamp_start = ts;
}

static inline void rf_rheader(struct rf *r, const char *name, const char *value)
{
	rf_header_at(r->rh, r->rhp, &r->resp.n_headers, name, value);
}

/* The first response header of that name in f as a string (static). */
static inline const char *rf_get(const Snare__HttpResponse *resp, const char *name)
{
	static char buf[512];

	for (size_t i = 0; i < resp->n_headers; i++)
		if (resp->headers[i]->name.len == strlen(name) &&
		    strncasecmp((const char *)resp->headers[i]->name.data, name, strlen(name)) ==
			0) {
			size_t n = resp->headers[i]->value.len;

			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, resp->headers[i]->value.data, n);
			buf[n] = 0;
			return buf;
		}
	return NULL;
}

#endif
