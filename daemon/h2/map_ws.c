/* Runs in the worker. RFC 8441 section 5: a WebSocket over HTTP/2 (an extended CONNECT with
 * :protocol websocket) and its HTTP/1.1 form (a GET with Upgrade: websocket). The h2 side has no
 * Sec-WebSocket-Key or -Accept: the HTTP/1.1 side makes its own key (h1_client.c) and checks the
 * server's accept here. The server's fields are untrusted: only compared and copied. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "h2/h2.h"

static bool field_is(const struct h2_field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

bool h2_ws_connect(const char *method, const char *protocol)
{
	return method && protocol && strcmp(method, "CONNECT") == 0 &&
	       strcasecmp(protocol, "websocket") == 0;
}

int h2_ws_request_to_h1(struct h2_msg *out, const struct h2_head *in)
{
	struct h2_head get = *in;

	if (!h2_ws_connect(in->method, in->protocol) || !in->path || !in->authority)
		return -EINVAL;
	get.method = "GET";
	get.protocol = NULL;
	return h2_map_request_to_h1(out, &get);
}

int h2_ws_accept_ok(const struct h2_field *f, size_t n, const char *accept)
{
	bool upgrade = false, ok = false;

	for (size_t i = 0; i < n; i++) {
		if (field_is(&f[i], "upgrade"))
			upgrade |=
			    f[i].value_len == 9 && strncasecmp(f[i].value, "websocket", 9) == 0;
		if (field_is(&f[i], "sec-websocket-accept"))
			ok = f[i].value_len == strlen(accept) &&
			     memcmp(f[i].value, accept, f[i].value_len) == 0;
	}
	return upgrade && ok ? 0 : -EPROTO;
}

int h2_ws_response_from_h1(struct h2_msg *out, const struct h2_field *f, size_t n)
{
	struct h2_msg all;
	int r;

	h2_msg_init(&all); /* the common filter first (connection-specific fields, case) */
	r = h2_map_fields_from_h1(&all, f, n);
	out->status = 200;
	for (size_t i = 0; i < all.nfields && r == 0; i++)
		if (!field_is(&all.fields[i], "sec-websocket-accept"))
			r = h2_msg_add(out, all.fields[i].name, all.fields[i].name_len,
				       all.fields[i].value, all.fields[i].value_len);
	h2_msg_free(&all);
	return r;
}
