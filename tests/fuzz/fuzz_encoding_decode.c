/* Fuzz target (test process only): any bytes as a body under each
 * Content-Encoding and a chain, with a small cap.  Output never passes the
 * cap; success and failure both leave nothing allocated. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CAP (256u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const codings[] = {"gzip",	  "deflate",	   "br", "zstd", "gzip, br",
					      "identity", "x-gzip,deflate"};
	const char *coding;
	uint8_t *out;
	size_t outlen;
	int rc;

	if (size < 1)
		return 0;
	coding = codings[data[0] % (sizeof(codings) / sizeof(codings[0]))];
	rc = encoding_decode(coding, strlen(coding), data + 1, size - 1, FUZZ_CAP, &out, &outlen);
	if (rc == 0) {
		if (!out || outlen > FUZZ_CAP)
			__builtin_trap();
		free(out);
	} else if (out || (rc != -EINVAL && rc != -EMSGSIZE && rc != -ENOTSUP)) {
		__builtin_trap();
	}
	rc =
	    encoding_decode_prefix(coding, strlen(coding), data + 1, size - 1, 1024, &out, &outlen);
	if (rc == 0 && outlen > 1024)
		__builtin_trap();
	if (rc == 0)
		free(out);
	return 0;
}
