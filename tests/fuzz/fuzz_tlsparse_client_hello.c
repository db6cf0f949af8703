/* Fuzz target for the worker's ClientHello parser (tlsparse). Input: any bytes, as a client
 * might send them first. Checks the results are documented ones, that a success yields bounded
 * NUL-terminated strings, that a prefix never decides differently from the whole, and that the
 * scan parser fed in pieces answers as the one-shot parser on every prefix. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsparse/tlsparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_hello(const struct tls_client_hello *h)
{
	assert(memchr(h->sni, '\0', sizeof(h->sni)) != NULL);
	assert(h->nalpn <= TLSPARSE_MAX_ALPN);
	for (size_t i = 0; i < h->nalpn; i++)
		assert(h->alpn[i][0] != '\0' &&
		       memchr(h->alpn[i], '\0', sizeof(h->alpn[i])) != NULL);
}

static void check_scan(const uint8_t *data, size_t size)
{
	static struct tls_client_hello s, once;
	uint32_t seed = (uint32_t)size * 2654435761u | 1;
	size_t k = 0;
	int rs = -EAGAIN, ro;

	memset(&s, 0, sizeof(s));
	while (k < size && rs == -EAGAIN) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		k += 1 + seed % (seed & 1 ? 3 : 97);
		k = k < size ? k : size;
		rs = tlsparse_client_hello_scan(data, k, &s);
		ro = tlsparse_client_hello(data, k, &once);
		assert(rs == ro);
		if (rs == 0)
			assert(memcmp(&s, &once, offsetof(struct tls_client_hello, scan)) == 0);
	}
	assert(rs == -EAGAIN || s.scan.off == 0);
	assert(s.scan.scanned <= 2 * size + 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_client_hello h;
	size_t cuts[] = {size / 2, size > 0 ? size - 1 : 0};
	int r, rp, look;

	check_scan(data, size);
	look = tlsparse_looks_like_tls(data, size);
	assert(look == 0 || look == 1 || (look == -EAGAIN && size < 3));
	r = tlsparse_client_hello(data, size, &h);
	assert(r == 0 || r == -EAGAIN || r == -EINVAL || r == -E2BIG);
	if (r == 0)
		check_hello(&h);
	if (look == 0)
		assert(r == -EINVAL);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] >= size)
			continue;
		rp = tlsparse_client_hello(data, cuts[i], &h);
		assert(rp == -EAGAIN || rp == r);
	}
	return 0;
}
