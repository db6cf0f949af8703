/* Fuzz target for the h2 module: peer bytes fed to a server-side or a client-side session.
 * Input: one flag byte (bit 0: the client side; bits 1-4: a chunk size; bit 5: a server whose
 * SETTINGS the owner wrote before the session, settings_sent; bit 6: extended CONNECT, RFC 8441,
 * taken by the server side), then the peer's bytes.
 * The owner answers every request with a body and trailers, consumes every data piece and
 * drains the output after each chunk, so the submit paths run against hostile peers too; every
 * head also goes through the HTTP/1 mapping and back (a WebSocket CONNECT through its Upgrade
 * form, a response through the 101 mapping). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h2/h2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct owner {
	struct h2_session *s;
};

/* The head through the HTTP/1 mapping and back, as a translating proxy does. */
static void map_round_trip(const struct h2_head *h)
{
	struct h2_msg h1, h2, stripped;

	h2_msg_init(&h1);
	h2_msg_init(&h2);
	h2_msg_init(&stripped);
	if (h2_ws_connect(h->method, h->protocol) && h2_ws_request_to_h1(&h1, h) == 0) {
		h2_strip_h2c_upgrade(&stripped, h1.fields, h1.nfields);
	} else if (h->method && h2_map_request_to_h1(&h1, h) == 0) {
		h2_strip_h2c_upgrade(&stripped, h1.fields, h1.nfields);
		h2_map_request_from_h1(&h2, h1.method, h1.path, "https", h1.fields, h1.nfields);
	} else if (!h->method && h2_map_response_to_h1(&h1, h) == 0) {
		h2_map_response_from_h1(&h2, h1.status, h1.fields, h1.nfields);
		(void)h2_ws_accept_ok(h1.fields, h1.nfields, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
		h2_msg_free(&h2);
		h2_ws_response_from_h1(&h2, h1.fields, h1.nfields);
	}
	h2_msg_free(&h1);
	h2_msg_free(&h2);
	h2_msg_free(&stripped);
}

static void on_head(void *o, int32_t sid, const struct h2_head *h, bool end)
{
	struct owner *w = o;
	struct h2_field f[] = {{"x-f", 3, "1", 1}};
	struct h2_head r = {.status = 200, .fields = f, .nfields = 1};

	map_round_trip(h);
	if (!h->method)
		return; /* a response on the client side */
	if (h2_submit_head(w->s, sid, &r, false) == sid) {
		h2_submit_data(w->s, sid, (const uint8_t *)"body", 4);
		h2_submit_end(w->s, sid, f, 1);
	}
}

static void on_data(void *o, int32_t sid, const uint8_t *p, size_t n)
{
	struct owner *w = o;

	h2_consume(w->s, sid, n);
}

static void on_trailers(void *o, int32_t sid, const struct h2_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		(void)strlen(f[i].name);
}

static const struct h2_callbacks cbs = {
    .on_head = on_head,
    .on_data = on_data,
    .on_trailers = on_trailers,
};

static void drain(struct h2_session *s)
{
	const uint8_t *p;
	size_t n;

	for (int i = 0; i < 1000; i++) {
		if (h2_out(s, &p, &n) != 0 || n == 0)
			return;
		h2_out_done(s, n);
	}
}

static void start_requests(struct h2_session *s)
{
	struct h2_field f[] = {{"te", 2, "trailers", 8}};
	struct h2_head h = {.method = "GET", .scheme = "https", .authority = "a", .path = "/"};
	int32_t sid;

	h2_submit_head(s, 0, &h, true);
	h.method = "POST";
	h.fields = f;
	h.nfields = 1;
	sid = h2_submit_head(s, 0, &h, false);
	if (sid > 0) {
		h2_submit_data(s, sid, (const uint8_t *)"abc", 3);
		h2_submit_end(s, sid, f, 1);
	}
	h.method = "CONNECT"; /* a WebSocket, RFC 8441: the :protocol path */
	h.protocol = "websocket";
	h.nfields = 0;
	sid = h2_submit_head(s, 0, &h, false);
	if (sid > 0) /* an empty masked text frame: FIN+text, mask bit, key 11 22 33 44 */
		h2_submit_data(s, sid, (const uint8_t *)"\x81\x80\x11\x22\x33\x44", 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h2_options o;
	struct owner w;
	size_t chunk, off = 1;

	if (size < 1)
		return 0;
	h2_options_default(&o);
	o.max_header_list = 4096;
	o.rst_burst = 20;
	o.settings_sent = (data[0] >> 5) & 1;
	o.connect_protocol = (data[0] >> 6) & 1;
	w.s = h2_new(data[0] & 1 ? H2_CLIENT : H2_SERVER, &o, &cbs, &w);
	if (o.connect_protocol && !(data[0] & 1)) /* offered at once: :protocol taken */
		(void)h2_offer_connect_protocol(w.s);
	chunk = ((data[0] >> 1) & 15) ? ((data[0] >> 1) & 15) * 7 : size;
	if (data[0] & 1)
		start_requests(w.s);
	drain(w.s);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (h2_feed(w.s, data + off, n) != 0)
			break;
		drain(w.s);
		off += n;
	}
	drain(w.s);
	h2_free(w.s);
	return 0;
}
