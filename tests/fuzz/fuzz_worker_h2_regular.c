/* Fuzz target for the first-request peek of cleartext h2 sent to a
 * regular-mode listener (worker/h2_regular.c): the input is what a client
 * sends after the connection preface (frames, then the first header block
 * in HEADERS and CONTINUATION frames).  The peek must never read past the
 * input and leaves NUL-terminated fields, a method whenever it accepts. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/h2_regular.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = sizeof(preface) - 1 + size;
	uint8_t *p = malloc(n ? n : 1); /* exactly the input: ASan sees any overread */
	struct h2r_first f;
	enum h2r_peek r;

	memcpy(p, preface, sizeof(preface) - 1);
	if (size)
		memcpy(p + sizeof(preface) - 1, data, size);
	r = h2_regular_peek(p, n, &f);
	assert(memchr(f.method, '\0', sizeof(f.method)) &&
	       memchr(f.scheme, '\0', sizeof(f.scheme)));
	assert(memchr(f.authority, '\0', sizeof(f.authority)));
	assert(memchr(f.proxy_auth, '\0', sizeof(f.proxy_auth)));
	if (r == H2R_OK)
		assert(f.method[0] != '\0');
	free(p);
	return 0;
}
