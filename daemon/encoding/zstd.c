/* zstd with Debian's libzstd, into a capped buffer; several frames back to
 * back are one body (RFC 8878).  The input is an untrusted body. */
#include <errno.h>
#include <zstd.h>

#include "encoding/encoding_int.h"

/* RFC 8878 section 7.2 (HTTP): decoders need not accept windows above
 * 8 MiB; refusing them bounds the decoder's own memory too. */
#define ZSTD_WINDOW_LOG_MAX 23

int enc_zstd(const uint8_t *in, size_t n, struct enc_out *o)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = {in, n, 0};
	size_t r = 1, room;
	int rc = 0;

	if (!d)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
		rc = -ENOMEM;
		goto out;
	}
	while (ib.pos < ib.size || r != 0) {
		ZSTD_outBuffer ob;
		size_t before_in = ib.pos;

		if ((rc = enc_out_room(o, &room)) < 0)
			goto out;
		ob = (ZSTD_outBuffer){o->data + o->len, room, 0};
		r = ZSTD_decompressStream(d, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(r)) {
			rc = -EINVAL;
			goto out;
		}
		/* No input left, none consumed, nothing written: truncated. */
		if (r != 0 && ib.pos == ib.size && ob.pos == 0 && before_in == ib.pos) {
			rc = -EINVAL;
			goto out;
		}
	}
out:
	ZSTD_freeDCtx(d);
	return rc;
}
