/* Unit tests for Content-Encoding decoding (daemon/encoding): gzip,
 * deflate (zlib and raw), br, zstd and chains round-trip; bombs stop at
 * the cap; corrupt, truncated and trailing bytes are errors; unknown
 * codings are refused.  The encoders come from the same Debian libraries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <brotli/encode.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "core/unconst.h"
#include "encoding/encoding.h"

struct blob {
	uint8_t *p;
	size_t n;
};

/* zlib with window bits wbits: 31 gzip, 15 zlib, -15 raw deflate. */
static struct blob z_encode(const uint8_t *in, size_t n, int wbits)
{
	z_stream z = {0};
	struct blob b;

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	b.p = malloc(deflateBound(&z, n));
	z.next_in = unconst(in);
	z.avail_in = (uInt)n;
	z.next_out = b.p;
	z.avail_out = (uInt)deflateBound(&z, n);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	b.n = z.total_out;
	deflateEnd(&z);
	return b;
}

static struct blob br_encode(const uint8_t *in, size_t n)
{
	struct blob b = {malloc(BrotliEncoderMaxCompressedSize(n) + 16), 0};

	b.n = BrotliEncoderMaxCompressedSize(n) + 16;
	assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, n, in, &b.n, b.p));
	return b;
}

static struct blob zstd_encode(const uint8_t *in, size_t n)
{
	struct blob b = {malloc(ZSTD_compressBound(n)), 0};

	b.n = ZSTD_compress(b.p, ZSTD_compressBound(n), in, n, 3);
	assert_false(ZSTD_isError(b.n));
	return b;
}

static struct blob encode(const char *coding, const uint8_t *in, size_t n)
{
	if (!strcmp(coding, "gzip"))
		return z_encode(in, n, 31);
	if (!strcmp(coding, "deflate"))
		return z_encode(in, n, 15);
	if (!strcmp(coding, "deflate-raw"))
		return z_encode(in, n, -15);
	if (!strcmp(coding, "br"))
		return br_encode(in, n);
	return zstd_encode(in, n);
}

static const char text[] = "{\"hello\": \"world\", \"numbers\": [1, 2, 3, 4, 5, 6, 7, 8]}";

static int decode(const char *coding, const struct blob *b, size_t cap, uint8_t **out,
		  size_t *outlen)
{
	return encoding_decode(coding, strlen(coding), b->p, b->n, cap, out, outlen);
}

static void roundtrip(const char *enc, const char *header)
{
	struct blob b = encode(enc, (const uint8_t *)text, strlen(text));
	uint8_t *out;
	size_t n;

	assert_int_equal(decode(header, &b, 1 << 20, &out, &n), 0);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(out, text, n);
	free(out);
	free(b.p);
}

static void test_each(void **state)
{
	roundtrip("gzip", "gzip");
	roundtrip("gzip", "x-gzip");
	roundtrip("gzip", " GZIP ");
	roundtrip("deflate", "deflate");
	roundtrip("deflate-raw", "deflate");
	roundtrip("br", "br");
	roundtrip("zstd", "zstd");
}

/* "gzip, br": gzip was applied first, so br comes off first. */
static void test_chain(void **state)
{
	struct blob g = encode("gzip", (const uint8_t *)text, strlen(text));
	struct blob gb = encode("br", g.p, g.n);
	struct blob gbz = encode("zstd", gb.p, gb.n);
	uint8_t *out;
	size_t n;

	assert_int_equal(decode("gzip, br", &gb, 1 << 20, &out, &n), 0);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(out, text, n);
	free(out);
	assert_int_equal(decode("gzip,identity,br,,zstd", &gbz, 1 << 20, &out, &n), 0);
	assert_memory_equal(out, text, n);
	free(out);
	assert_int_equal(decode("br, gzip", &gb, 1 << 20, &out, &n), -EINVAL);
	assert_null(out);
	free(g.p);
	free(gb.p);
	free(gbz.p);
}

static void test_identity_and_empty(void **state)
{
	struct blob b = {(uint8_t *)"plain", 5}, e = {NULL, 0};
	uint8_t *out;
	size_t n;

	assert_int_equal(decode("", &b, 100, &out, &n), 0);
	assert_int_equal(n, 5);
	free(out);
	assert_int_equal(decode("identity", &b, 100, &out, &n), 0);
	assert_memory_equal(out, "plain", 5);
	free(out);
	assert_int_equal(decode("gzip", &e, 100, &out, &n), 0); /* HEAD, 304 */
	assert_int_equal(n, 0);
	assert_non_null(out);
	free(out);
	assert_int_equal(decode("identity", &b, 4, &out, &n), -EMSGSIZE);
}

static void test_unknown(void **state)
{
	struct blob b = {(uint8_t *)"x", 1};
	uint8_t *out;
	size_t n;

	assert_int_equal(decode("compress", &b, 100, &out, &n), -ENOTSUP);
	assert_int_equal(decode("gzip, gzip, gzip, gzip, gzip", &b, 100, &out, &n), -ENOTSUP);
	assert_false(encoding_known("gzip, lzma", 10));
	assert_true(encoding_known("gzip, br", 8));
}

/* 16 MiB of zeros compress to a few KiB; a 1 MiB cap stops each decoder. */
static void test_bomb(void **state)
{
	static const char *const codings[] = {"gzip", "deflate", "br", "zstd"};
	size_t big = 16u << 20;
	uint8_t *zeros = calloc(1, big), *out;
	size_t n;

	for (size_t i = 0; i < 4; i++) {
		struct blob b = encode(codings[i], zeros, big);

		assert_true(b.n < (256u << 10));
		assert_int_equal(decode(codings[i], &b, 1 << 20, &out, &n), -EMSGSIZE);
		assert_null(out);
		/* the prefix form gives exactly the cap */
		assert_int_equal(encoding_decode_prefix(codings[i], strlen(codings[i]), b.p, b.n,
							1 << 20, &out, &n),
				 0);
		assert_int_equal(n, 1 << 20);
		free(out);
		/* exactly at the cap is fine */
		assert_int_equal(decode(codings[i], &b, big, &out, &n), 0);
		assert_int_equal(n, big);
		free(out);
		free(b.p);
	}
	free(zeros);
}

static void test_corrupt(void **state)
{
	static const char *const codings[] = {"gzip", "deflate", "br", "zstd"};
	uint8_t *out;
	size_t n;

	for (size_t i = 0; i < 4; i++) {
		struct blob b = encode(codings[i], (const uint8_t *)text, strlen(text));
		struct blob cut = {b.p, b.n - 3}, junk = {malloc(b.n + 4), b.n + 4};
		uint8_t bad[64];

		assert_int_equal(decode(codings[i], &cut, 1 << 20, &out, &n), -EINVAL);
		memcpy(junk.p, b.p, b.n);
		memcpy(junk.p + b.n, "JUNK", 4);
		assert_int_equal(decode(codings[i], &junk, 1 << 20, &out, &n), -EINVAL);
		free(junk.p);
		memset(bad, 0xa5, sizeof(bad));
		junk = (struct blob){bad, sizeof(bad)};
		assert_int_equal(decode(codings[i], &junk, 1 << 20, &out, &n), -EINVAL);
		assert_null(out);
		free(b.p);
	}
}

/* Two gzip members back to back are one body (RFC 1952). */
static void test_gzip_members(void **state)
{
	struct blob a = encode("gzip", (const uint8_t *)"abc", 3);
	struct blob b = encode("gzip", (const uint8_t *)"def", 3);
	struct blob both = {malloc(a.n + b.n), a.n + b.n};
	uint8_t *out;
	size_t n;

	memcpy(both.p, a.p, a.n);
	memcpy(both.p + a.n, b.p, b.n);
	assert_int_equal(decode("gzip", &both, 100, &out, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "abcdef", 6);
	free(out);
	free(a.p);
	free(b.p);
	free(both.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each),
	    cmocka_unit_test(test_chain),
	    cmocka_unit_test(test_identity_and_empty),
	    cmocka_unit_test(test_unknown),
	    cmocka_unit_test(test_bomb),
	    cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_gzip_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
