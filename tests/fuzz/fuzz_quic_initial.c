/* Fuzz target for the QUIC Initial reader (daemon/quic/initial.c): header parsing, Initial
 * decryption, frame walking, CRYPTO reassembly and the ClientHello hand-off to tlsparse.
 * Input: datagrams, each as a 2-byte big-endian length and that many bytes (a short last one
 * takes what is left). Checks that results are documented ones, that they are sticky, and that a
 * DONE hello has bounded NUL-terminated strings. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quic/initial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic_initial *qi = quic_initial_new();
	enum quic_initial_result r = QUIC_INITIAL_NEED_MORE, again;
	size_t off = 0;

	while (off + 2 <= size && r == QUIC_INITIAL_NEED_MORE) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		len = len < size - off ? len : size - off;
		r = quic_initial_feed(qi, data + off, len);
		off += len;
	}
	assert(r >= QUIC_INITIAL_NEED_MORE && r <= QUIC_INITIAL_ERROR);
	assert((r == QUIC_INITIAL_ERROR) == (quic_initial_error(qi)[0] != '\0'));
	if (r != QUIC_INITIAL_NEED_MORE) {
		again = quic_initial_feed(qi, data, size);
		assert(again == r);
	}
	if (r == QUIC_INITIAL_DONE) {
		const struct quic_initial_info *in = quic_initial_info(qi);

		assert(memchr(in->hello.sni, '\0', sizeof(in->hello.sni)) != NULL);
		assert(in->hello.nalpn <= TLSPARSE_MAX_ALPN);
		assert(in->dcid_len <= QUIC_MAX_CID && in->scid_len <= QUIC_MAX_CID);
		assert(in->version == QUIC_VERSION_1 || in->version == QUIC_VERSION_2);
	}
	quic_initial_free(qi);
	return 0;
}
