/* gzip and deflate (zlib-wrapped, or raw as some servers send it) with
 * Debian's zlib, into a capped buffer.  The input is an untrusted body. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: the input is never written */
#include <zlib.h>

#include "encoding/encoding_int.h"

/* Inflates all of in[0..n) with window bits `wbits`.  gzip may hold
 * several members back to back (RFC 1952); anything else after the end
 * of the stream is corruption. */
static int inflate_all(const uint8_t *in, size_t n, int wbits, struct enc_out *o)
{
	z_stream z = {0};
	size_t room;
	int zr = Z_OK, rc = 0;

	if (inflateInit2(&z, wbits) != Z_OK)
		return -ENOMEM;
	z.next_in = in;
	for (;;) {
		size_t left = n - (size_t)((const uint8_t *)z.next_in - in);

		if (zr == Z_STREAM_END) {
			if (left == 0)
				break;
			if (wbits < 16 || inflateReset(&z) != Z_OK) {
				rc = -EINVAL;
				break;
			}
		}
		if ((rc = enc_out_room(o, &room)) < 0)
			break;
		z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
		z.next_out = o->data + o->len;
		z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		zr = inflate(&z, Z_NO_FLUSH);
		o->len += (size_t)(z.next_out - (o->data + o->len));
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && z.avail_out > 0) {
			rc = -EINVAL; /* truncated: wants input we do not have */
			break;
		}
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			rc = zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

int enc_gzip(const uint8_t *in, size_t n, struct enc_out *o)
{
	return inflate_all(in, n, 16 + MAX_WBITS, o);
}

/* "deflate" is meant to be zlib-wrapped (RFC 9110 section 8.4.1.2), but
 * raw deflate is common enough that browsers accept both; so do we. */
int enc_deflate(const uint8_t *in, size_t n, struct enc_out *o)
{
	int rc = inflate_all(in, n, MAX_WBITS, o);

	if (rc != -EINVAL)
		return rc;
	o->len = 0;
	return inflate_all(in, n, -MAX_WBITS, o);
}
