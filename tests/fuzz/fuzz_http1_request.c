/* libFuzzer target for the HTTP/1 request parser (worker code on client
 * bytes).  The first input byte picks limits and the chunk split seed; the
 * rest is the request.  A chunked body after a good head goes through the
 * decoder whole and in random pieces, which must agree. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_http1_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_target(const struct http1_head *h)
{
	struct http1_target t;
	int rc;

	if (http1_str_eq(h->method, "CONNECT"))
		rc = http1_parse_authority(h->target, 443, &t);
	else if (h->target.n > 0 && h->target.p[0] != '/' && h->target.p[0] != '*')
		rc = http1_parse_absolute(h->target, &t);
	else
		return;
	FUZZ_CHECK(rc == HTTP1_OK || rc == HTTP1_E_SYNTAX);
	if (rc != HTTP1_OK)
		return;
	FUZZ_CHECK(t.host[0] != '\0' && t.port != 0 && strlen(t.host) < sizeof(t.host));
	FUZZ_CHECK(t.path.p == NULL || (t.path.n > 0 && t.path.p[0] == '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http1_head h;
	struct http1_limits lim;
	uint8_t ctl;
	int rc;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	http1_limits_default(&lim);
	if (ctl & 0x80) {
		lim.max_head_bytes = 32 + (size_t)(ctl & 0x3f) * 8;
		lim.max_headers = 1 + (ctl & 7);
	}
	fuzz_scan(data, size, &lim, true, ctl * 2246822519u + (uint32_t)size);
	rc = http1_parse_request(data, size, &lim, &h);
	FUZZ_CHECK(rc <= HTTP1_OK && rc >= HTTP1_E_VERSION);
	if (rc == HTTP1_E_NEED_MORE)
		FUZZ_CHECK(size <= lim.max_head_bytes);
	if (rc != HTTP1_OK)
		return 0;
	FUZZ_CHECK(h.is_request && h.method.n > 0 && h.target.n > 0);
	fuzz_check_head(&h, data, size, &lim, true);
	fuzz_target(&h);
	FUZZ_CHECK(h.body != HTTP1_BODY_CLOSE);
	if (h.body == HTTP1_BODY_CHUNKED)
		fuzz_chunked(data + h.head_len, size - h.head_len, ctl * 2654435761u + size);
	return 0;
}
