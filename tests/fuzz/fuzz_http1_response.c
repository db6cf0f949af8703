/* libFuzzer target for the HTTP/1 response parser (worker code on server
 * bytes).  The first input byte picks the request method, limits and chunk
 * split seed; the rest is the response.  Framing is decided for that method
 * and a chunked body is decoded whole and in random pieces. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_http1_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {"GET", "HEAD", "CONNECT", "POST"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http1_head h;
	struct http1_limits lim;
	struct http1_str method;
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
	fuzz_scan(data, size, &lim, false, ctl * 2246822519u + (uint32_t)size);
	rc = http1_parse_response(data, size, &lim, &h);
	FUZZ_CHECK(rc <= HTTP1_OK && rc >= HTTP1_E_VERSION);
	if (rc != HTTP1_OK)
		return 0;
	FUZZ_CHECK(!h.is_request && h.status >= 100 && h.status <= 999);
	fuzz_check_head(&h, data, size, &lim, false);
	method.p = methods[(ctl >> 5) & 3];
	method.n = strlen(method.p);
	rc = http1_response_body(&h, method);
	FUZZ_CHECK(rc == HTTP1_OK || rc == HTTP1_E_SMUGGLE);
	if (rc != HTTP1_OK)
		return 0;
	FUZZ_CHECK(h.body != HTTP1_BODY_CLOSE || !h.keep_alive);
	FUZZ_CHECK(h.body == HTTP1_BODY_LENGTH || h.content_length == 0);
	if (h.body == HTTP1_BODY_CHUNKED)
		fuzz_chunked(data + h.head_len, size - h.head_len, ctl * 2654435761u + size);
	return 0;
}
