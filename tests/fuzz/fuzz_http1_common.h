/* Checks shared by the HTTP/1 fuzz targets (run only in fuzzing builds):
 * invariants every parsed head must hold, a differential run of the
 * chunked decoder fed all at once against the same bytes in random pieces,
 * and one of the scan parsers fed in random pieces against the one-shot
 * parser on each prefix.
 * Any broken invariant aborts so libFuzzer reports it. */
#ifndef SNARE_FUZZ_HTTP1_COMMON_H
#define SNARE_FUZZ_HTTP1_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "http1/http1.h"

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void fuzz_check_span(struct http1_str s, const uint8_t *p, size_t n)
{
	const char *b = (const char *)p;

	FUZZ_CHECK(s.n == 0 || (s.p >= b && s.p + s.n <= b + n));
}

/* A parsed head points only inside the parsed bytes, its values carry no
 * surrounding whitespace, no CTL but HTAB, and re-parsing exactly head_len
 * bytes gives the same answer while one byte less needs more. */
static void fuzz_check_head(const struct http1_head *h, const uint8_t *p, size_t n,
			    const struct http1_limits *lim, bool request)
{
	static struct http1_head again;
	int rc;

	FUZZ_CHECK(h->head_len >= 4 && h->head_len <= n && h->head_len <= lim->max_head_bytes);
	FUZZ_CHECK(memcmp(p + h->head_len - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(h->nheaders <= lim->max_headers && h->nheaders <= HTTP1_MAX_HEADERS_CAP);
	FUZZ_CHECK(h->version_minor == 0 || h->version_minor == 1);
	for (size_t i = 0; i < h->nheaders; i++) {
		struct http1_str v = h->headers[i].value;

		FUZZ_CHECK(h->headers[i].name.n > 0);
		fuzz_check_span(h->headers[i].name, p, h->head_len);
		fuzz_check_span(v, p, h->head_len);
		FUZZ_CHECK(v.n == 0 || (v.p[0] != ' ' && v.p[0] != '\t' && v.p[v.n - 1] != ' ' &&
					v.p[v.n - 1] != '\t'));
		for (size_t j = 0; j < v.n; j++)
			FUZZ_CHECK((uint8_t)v.p[j] >= 0x20 ? v.p[j] != 0x7f : v.p[j] == '\t');
	}
	rc = request ? http1_parse_request(p, h->head_len, lim, &again)
		     : http1_parse_response(p, h->head_len, lim, &again);
	FUZZ_CHECK(rc == HTTP1_OK && again.head_len == h->head_len);
	rc = request ? http1_parse_request(p, h->head_len - 1, lim, &again)
		     : http1_parse_response(p, h->head_len - 1, lim, &again);
	FUZZ_CHECK(rc == HTTP1_E_NEED_MORE);
}

struct fuzz_decoded {
	int rc;
	bool done;
	size_t consumed;
	size_t payload;
	uint64_t hash; /* FNV-1a over the payload bytes */
};

static void fuzz_on_data(void *arg, const uint8_t *d, size_t n)
{
	struct fuzz_decoded *r = arg;

	FUZZ_CHECK(n > 0);
	for (size_t i = 0; i < n; i++)
		r->hash = (r->hash ^ d[i]) * 0x100000001b3ULL;
	r->payload += n;
}

/* Feeds p[0..n) in pieces chosen by a xorshift generator (seed 0: at once). */
static void fuzz_decode(const uint8_t *p, size_t n, uint32_t seed, struct fuzz_decoded *r)
{
	struct http1_chunked c;
	size_t off = 0, len, used;

	*r = (struct fuzz_decoded){.hash = 0xcbf29ce484222325ULL};
	http1_chunked_init(&c);
	while (off < n && !c.done) {
		len = n - off;
		if (seed) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			len = 1 + seed % (seed & 1 ? 4 : 64);
			len = len < n - off ? len : n - off;
		}
		r->rc = http1_chunked_feed(&c, p + off, len, &used, fuzz_on_data, r);
		FUZZ_CHECK(used <= len);
		off += used;
		if (r->rc != HTTP1_OK)
			break;
		FUZZ_CHECK(c.done || used == len);
	}
	FUZZ_CHECK(r->rc == HTTP1_OK || r->rc == HTTP1_E_CHUNK);
	FUZZ_CHECK(r->payload <= off);
	r->done = c.done;
	r->consumed = off;
}

static void fuzz_chunked(const uint8_t *p, size_t n, uint32_t seed)
{
	struct fuzz_decoded whole, split;

	fuzz_decode(p, n, 0, &whole);
	fuzz_decode(p, n, seed | 1, &split);
	FUZZ_CHECK(whole.rc == split.rc && whole.done == split.done);
	FUZZ_CHECK(whole.consumed == split.consumed);
	FUZZ_CHECK(whole.payload == split.payload && whole.hash == split.hash);
	FUZZ_CHECK(!whole.done ||
		   (whole.consumed >= 5 && memcmp(p + whole.consumed - 2, "\r\n", 2) == 0));
}

static uint32_t fuzz_xorshift(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

/* http1_scan_* over growing prefixes of p[0..n): NEED_MORE while the
 * one-shot parser has no head yet (it may already see an error the scan
 * reports once the head ends), otherwise the one-shot answer (TOO_LARGE may
 * stand for an error the scan had not parsed yet). Work stays linear. */
static void fuzz_scan(const uint8_t *p, size_t n, const struct http1_limits *lim, bool request,
		      uint32_t seed)
{
	static struct http1_head s, once;
	size_t k = 0;
	int rs = HTTP1_E_NEED_MORE, ro;

	memset(&s, 0, sizeof(s));
	seed |= 1;
	while (k < n && rs == HTTP1_E_NEED_MORE) {
		uint32_t r = fuzz_xorshift(&seed);
		size_t len = 1 + r % (r & 1 ? 3 : 97);

		k = len < n - k ? k + len : n;
		rs = request ? http1_scan_request(p, k, lim, &s)
			     : http1_scan_response(p, k, lim, &s);
		ro = request ? http1_parse_request(p, k, lim, &once)
			     : http1_parse_response(p, k, lim, &once);
		if (ro == HTTP1_OK)
			FUZZ_CHECK(rs == HTTP1_OK && s.head_len == once.head_len &&
				   s.nheaders == once.nheaders);
		else if (rs != HTTP1_E_NEED_MORE)
			FUZZ_CHECK(rs == ro ||
				   (rs == HTTP1_E_TOO_LARGE && ro != HTTP1_E_NEED_MORE));
	}
	if (rs != HTTP1_E_NEED_MORE)
		FUZZ_CHECK(s.scan.from == 0);
	FUZZ_CHECK(s.scan.scanned <= 4 * k); /* each byte once, and at most three parses */
}

#endif
