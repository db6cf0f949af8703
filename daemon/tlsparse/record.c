/* Runs in the worker on the first bytes a client sent; trusts none of them.
 * Walks the TLS records in a peeked buffer, reassembles the first handshake message (which may
 * span several records of type 22) and hands a ClientHello to the body parser in client_hello.c.
 * The scan variant remembers how far the walk got, so a hello that trickles in costs one walk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tlsparse/tlsparse_int.h"

#define TLS_CONTENT_HANDSHAKE 22
#define TLS_RECORD_HDR 5
#define TLS_RECORD_MAX (16384 + 2048)
#define TLS_HS_HDR 4
#define TLS_HS_CLIENT_HELLO 1

/* Checks the part of a record header that is available: 0 fine so far, -EINVAL not TLS. */
static int record_prefix_check(const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] != TLS_CONTENT_HANDSHAKE)
		return -EINVAL;
	if (n >= 2 && p[1] != 0x03)
		return -EINVAL;
	if (n >= 3 && p[2] > 0x03)
		return -EINVAL;
	return 0;
}

int tlsparse_looks_like_tls(const uint8_t *p, size_t n)
{
	if (n < 3)
		return -EAGAIN;
	return record_prefix_check(p, 3) == 0;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Copies the first `want` bytes of handshake data carried by the records at p into dst.
 * 0 when all were there; -EAGAIN when the buffer ends first; -EINVAL on a bad record. */
static int record_gather(const uint8_t *p, size_t n, uint8_t *dst, size_t want)
{
	size_t off = 0, got = 0;

	while (got < want) {
		size_t len, avail, take;
		int r;

		if (off == n)
			return -EAGAIN;
		r = record_prefix_check(p + off, min_size(n - off, 3));
		if (r < 0)
			return r;
		if (n - off < TLS_RECORD_HDR)
			return -EAGAIN;
		len = (size_t)p[off + 3] << 8 | p[off + 4];
		if (len == 0 || len > TLS_RECORD_MAX)
			return -EINVAL;
		avail = min_size(len, n - off - TLS_RECORD_HDR);
		take = min_size(avail, want - got);
		memcpy(dst + got, p + off + TLS_RECORD_HDR, take);
		got += take;
		if (got < want && avail < len)
			return -EAGAIN;
		off += TLS_RECORD_HDR + len;
	}
	return 0;
}

/* True when the first record alone holds the whole handshake message of `total` bytes. */
static bool record_holds_all(const uint8_t *p, size_t n, size_t total)
{
	size_t len = (size_t)p[3] << 8 | p[4];

	return len >= total && n - TLS_RECORD_HDR >= total;
}

/* The ClientHello's body length, from the 4-byte handshake header gathered
 * from the records at p: -EINVAL for another handshake type, -E2BIG past
 * TLSPARSE_MAX_HELLO, or record_gather's error. */
static int hello_len(const uint8_t *p, size_t n, size_t *len)
{
	uint8_t hs[TLS_HS_HDR];
	int r;

	r = record_gather(p, n, hs, sizeof(hs));
	if (r < 0)
		return r;
	if (hs[0] != TLS_HS_CLIENT_HELLO)
		return -EINVAL;
	*len = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
	return *len > TLSPARSE_MAX_HELLO ? -E2BIG : 0;
}

int tlsparse_client_hello(const uint8_t *p, size_t n, struct tls_client_hello *out)
{
	uint8_t *copy = NULL;
	size_t len;
	int r;

	r = hello_len(p, n, &len);
	if (r < 0)
		return r;
	if (record_holds_all(p, n, TLS_HS_HDR + len))
		return tlsparse_parse_body(p + TLS_RECORD_HDR + TLS_HS_HDR, len, out);

	copy = xmalloc(TLS_HS_HDR + len);
	r = record_gather(p, n, copy, TLS_HS_HDR + len);
	if (r < 0)
		goto out;
	r = tlsparse_parse_body(copy + TLS_HS_HDR, len, out);
out:
	free(copy);
	return r;
}

/* The handshake message's length, once `have` bytes of handshake data (from s->off's records and
 * the one after, perhaps incomplete) hold its 4-byte header. */
static int scan_want(const uint8_t *p, size_t n, struct tlsparse_scan *s, size_t have)
{
	size_t len;
	int r;

	if (s->want || have < TLS_HS_HDR)
		return 0;
	r = hello_len(p, n, &len);
	if (r < 0)
		return r;
	s->want = TLS_HS_HDR + len;
	return 0;
}

/* Walks the records from s->off on, each complete one once: 1 when the hello is all there
 * (perhaps ending in a record still incomplete), -EAGAIN when not yet, -EINVAL or -E2BIG as
 * tlsparse_client_hello. */
static int scan_records(const uint8_t *p, size_t n, struct tlsparse_scan *s)
{
	for (;;) {
		size_t len = 0, avail = 0;
		int r = 0;

		if (s->off < n)
			r = record_prefix_check(p + s->off, min_size(n - s->off, 3));
		if (r < 0)
			return r;
		if (n - s->off >= TLS_RECORD_HDR) {
			len = (size_t)p[s->off + 3] << 8 | p[s->off + 4];
			if (len == 0 || len > TLS_RECORD_MAX)
				return -EINVAL;
			avail = min_size(len, n - s->off - TLS_RECORD_HDR);
		}
		r = scan_want(p, n, s, s->got + avail);
		if (r < 0)
			return r;
		if (s->want && s->got + avail >= s->want)
			return 1;
		if (len == 0 || avail < len)
			return -EAGAIN;
		s->scanned++;
		s->got += len;
		s->off += TLS_RECORD_HDR + len;
	}
}

int tlsparse_client_hello_scan(const uint8_t *p, size_t n, struct tls_client_hello *out)
{
	struct tlsparse_scan *s = &out->scan;
	size_t scanned;
	int r;

	if (s->off > n) /* not the bytes seen before: start over */
		*s = (struct tlsparse_scan){.scanned = s->scanned};
	r = scan_records(p, n, s);
	if (r == -EAGAIN)
		return r;
	scanned = s->scanned + (r == 1 ? s->want : 0);
	if (r == 1)
		r = tlsparse_client_hello(p, n, out);
	out->scan = (struct tlsparse_scan){.scanned = scanned};
	return r;
}
