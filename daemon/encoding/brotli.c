/* br with Debian's libbrotlidec, into a capped buffer.  The input is an
 * untrusted body. */
#include <brotli/decode.h>
#include <errno.h>

#include "encoding/encoding_int.h"

int enc_brotli(const uint8_t *in, size_t n, struct enc_out *o)
{
	BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	BrotliDecoderResult r = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
	const uint8_t *next_in = in;
	size_t avail_in = n, room;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
		uint8_t *next_out;

		if ((rc = enc_out_room(o, &room)) < 0)
			goto out;
		next_out = o->data + o->len;
		r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &room, &next_out, NULL);
		o->len = (size_t)(next_out - o->data);
	}
	/* Needing more input at the end of the body is truncation. */
	if (r != BROTLI_DECODER_RESULT_SUCCESS || avail_in != 0)
		rc = -EINVAL;
out:
	BrotliDecoderDestroyInstance(s);
	return rc;
}
