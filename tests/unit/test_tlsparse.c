/* Unit tests for the tlsparse module (worker-side ClientHello parser). Real hellos come from
 * OpenSSL clients driven through memory BIOs; malformed ones are built byte by byte here.
 * `test_tlsparse --write-corpus DIR` instead writes the OpenSSL hellos to DIR as fuzz seeds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "core/util.h"
#include "tlsparse/tlsparse.h"

struct bytes {
	uint8_t *p;
	size_t n;
};

/* A growable byte writer for hand-made hellos. */
struct wr {
	uint8_t b[70000 + 4096];
	size_t n;
};

static void put8(struct wr *w, unsigned v)
{
	assert_true(w->n < sizeof(w->b));
	w->b[w->n++] = (uint8_t)v;
}

static void put16(struct wr *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void put24(struct wr *w, unsigned v)
{
	put8(w, v >> 16);
	put16(w, v & 0xffff);
}

static void putmem(struct wr *w, const void *p, size_t n)
{
	assert_true(n <= sizeof(w->b) - w->n);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void putrepeat(struct wr *w, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(w, v);
}

static const uint8_t alpn_h2_h11[] = "\x02h2\x08http/1.1";

/* One ClientHello from an OpenSSL client capped at max_version (0: no cap).
 * sni is not const: OpenSSL's SSL_set_tlsext_host_name macro casts it to a
 * plain void *. */
static struct bytes openssl_hello(int max_version, char *sni, const uint8_t *alpn, size_t alpn_len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
	struct bytes out;
	SSL *ssl;

	assert_non_null(ctx);
	assert_non_null(rbio);
	assert_non_null(wbio);
	if (max_version != 0)
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx, max_version), 1);
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_connect_state(ssl);
	if (sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(ssl, sni), 1);
	if (alpn != NULL)
		assert_int_equal(SSL_set_alpn_protos(ssl, alpn, (unsigned)alpn_len), 0);
	assert_int_equal(SSL_connect(ssl), -1);
	assert_int_equal(SSL_get_error(ssl, -1), SSL_ERROR_WANT_READ);
	out.n = BIO_ctrl_pending(wbio);
	assert_true(out.n > 9);
	out.p = malloc(out.n);
	assert_non_null(out.p);
	assert_int_equal(BIO_read(wbio, out.p, (int)out.n), (int)out.n);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return out;
}

static struct bytes hello_13_full(void)
{
	return openssl_hello(0, "example.com", alpn_h2_h11, sizeof(alpn_h2_h11) - 1);
}

static struct bytes hello_12_plain(void)
{
	return openssl_hello(TLS1_2_VERSION, NULL, NULL, 0);
}

/* The handshake message carried by a single-record hello. */
static struct bytes hs_message(const struct bytes *rec)
{
	struct bytes m = {rec->p + 5, (size_t)rec->p[3] << 8 | rec->p[4]};

	assert_int_equal(m.n + 5, rec->n);
	return m;
}

/* Re-frames a handshake message into records, cutting it at the given offsets. */
static struct bytes reframe(const struct bytes *msg, const size_t *cuts, size_t ncuts)
{
	struct bytes out = {malloc(msg->n + 5 * (ncuts + 1)), 0};
	size_t start = 0;

	assert_non_null(out.p);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : msg->n;

		assert_true(end > start && end - start <= 16384);
		memcpy(out.p + out.n, "\x16\x03\x03", 3);
		out.p[out.n + 3] = (uint8_t)((end - start) >> 8);
		out.p[out.n + 4] = (uint8_t)(end - start);
		memcpy(out.p + out.n + 5, msg->p + start, end - start);
		out.n += 5 + end - start;
		start = end;
	}
	return out;
}

static int parse(const struct bytes *b, struct tls_client_hello *h)
{
	return tlsparse_client_hello(b->p, b->n, h);
}

/* Every strict prefix needs more bytes; the whole parses to want. */
static void assert_prefixes_eagain(const struct bytes *b, const struct tls_client_hello *want)
{
	struct tls_client_hello h;

	for (size_t k = 0; k < b->n; k++)
		assert_int_equal(tlsparse_client_hello(b->p, k, &h), -EAGAIN);
	assert_int_equal(parse(b, &h), 0);
	assert_memory_equal(&h, want, sizeof(h));
}

static void test_looks_like_tls(void **state)
{
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"\x16\x03", 2), -EAGAIN);
	assert_int_equal(tlsparse_looks_like_tls(NULL, 0), -EAGAIN);
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"\x16\x03\x00", 3), 1);
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"\x16\x03\x03\x01", 4), 1);
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"\x16\x03\x04", 3), 0);
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"\x17\x03\x03", 3), 0);
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"\x16\x02\x03", 3), 0);
	assert_int_equal(tlsparse_looks_like_tls((const uint8_t *)"GET / HTTP/1.1", 14), 0);
}

static void test_openssl_13_sni_alpn(void **state)
{
	struct bytes b = hello_13_full();
	struct tls_client_hello h;

	assert_int_equal(tlsparse_looks_like_tls(b.p, b.n), 1);
	assert_int_equal(parse(&b, &h), 0);
	assert_string_equal(h.sni, "example.com");
	assert_int_equal(h.nalpn, 2);
	assert_string_equal(h.alpn[0], "h2");
	assert_string_equal(h.alpn[1], "http/1.1");
	assert_false(h.alpn_truncated);
	assert_int_equal(h.legacy_version, 0x0303);
	assert_true(h.has_supported_versions_13);
	free(b.p);
}

static void test_openssl_13_plain(void **state)
{
	struct bytes b = openssl_hello(TLS1_3_VERSION, NULL, NULL, 0);
	struct tls_client_hello h;

	assert_int_equal(parse(&b, &h), 0);
	assert_string_equal(h.sni, "");
	assert_int_equal(h.nalpn, 0);
	assert_true(h.has_supported_versions_13);
	free(b.p);
}

static void test_openssl_12_plain(void **state)
{
	struct bytes b = hello_12_plain();
	struct tls_client_hello h;

	assert_int_equal(parse(&b, &h), 0);
	assert_string_equal(h.sni, "");
	assert_int_equal(h.nalpn, 0);
	assert_int_equal(h.legacy_version, 0x0303);
	assert_false(h.has_supported_versions_13);
	free(b.p);
}

static void test_openssl_12_sni_alpn(void **state)
{
	static const uint8_t alpn[] = "\x08http/1.1";
	struct bytes b = openssl_hello(TLS1_2_VERSION, "a-b_c.Example.org", alpn, 9);
	struct tls_client_hello h;

	assert_int_equal(parse(&b, &h), 0);
	assert_string_equal(h.sni, "a-b_c.Example.org");
	assert_int_equal(h.nalpn, 1);
	assert_string_equal(h.alpn[0], "http/1.1");
	assert_false(h.has_supported_versions_13);
	free(b.p);
}

static void test_split_every_offset(void **state)
{
	struct bytes hellos[2] = {hello_13_full(), hello_12_plain()};
	struct tls_client_hello want, h;

	for (size_t i = 0; i < 2; i++) {
		struct bytes b = hellos[i], more = {malloc(b.n + 3), b.n + 3};

		assert_int_equal(parse(&b, &want), 0);
		assert_prefixes_eagain(&b, &want);
		/* Bytes after the hello (early data, a second record) are not looked at. */
		assert_non_null(more.p);
		memcpy(more.p, b.p, b.n);
		memcpy(more.p + b.n, "\x17\xff\xff", 3);
		assert_int_equal(parse(&more, &h), 0);
		assert_memory_equal(&h, &want, sizeof(h));
		free(more.p);
		free(b.p);
	}
}

static void test_two_records(void **state)
{
	struct bytes b = hello_13_full(), m = hs_message(&b);
	struct tls_client_hello want;
	size_t cuts[] = {1, 2, 3, 4, 5, 40, m.n / 2, m.n - 1};

	assert_int_equal(parse(&b, &want), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		struct bytes r = reframe(&m, &cuts[i], 1);

		assert_int_equal(r.n, b.n + 5);
		assert_prefixes_eagain(&r, &want);
		free(r.p);
	}
	free(b.p);
}

static void test_one_byte_records(void **state)
{
	struct bytes b = hello_13_full(), m = hs_message(&b), r;
	struct tls_client_hello want, h;
	size_t *cuts = calloc(m.n, sizeof(*cuts));

	assert_non_null(cuts);
	for (size_t i = 1; i < m.n; i++)
		cuts[i - 1] = i;
	r = reframe(&m, cuts, m.n - 1);
	assert_int_equal(parse(&b, &want), 0);
	assert_int_equal(parse(&r, &h), 0);
	assert_memory_equal(&h, &want, sizeof(h));
	assert_int_equal(tlsparse_client_hello(r.p, r.n - 1, &h), -EAGAIN);
	free(r.p);
	free(cuts);
	free(b.p);
}

/* A record of another type before the hello is complete. */
static void test_foreign_record_inside(void **state)
{
	struct bytes b = hello_13_full(), m = hs_message(&b);
	size_t cut = 50;
	struct bytes r = reframe(&m, &cut, 1);
	struct tls_client_hello h;

	r.p[5 + cut] = 20; /* change_cipher_spec */
	assert_int_equal(parse(&r, &h), -EINVAL);
	assert_int_equal(tlsparse_client_hello(r.p, 5 + cut + 1, &h), -EINVAL);
	assert_int_equal(tlsparse_client_hello(r.p, 5 + cut, &h), -EAGAIN);
	r.p[5 + cut] = 22;
	r.p[5 + cut + 2] = 4; /* record version 0x0304 */
	assert_int_equal(parse(&r, &h), -EINVAL);
	free(r.p);
	free(b.p);
}

static void test_record_header_errors(void **state)
{
	struct bytes b = hello_13_full();
	struct tls_client_hello h;

	b.p[3] = 0;
	b.p[4] = 0; /* empty record */
	assert_int_equal(parse(&b, &h), -EINVAL);
	b.p[3] = (16384 + 2049) >> 8;
	b.p[4] = (16384 + 2049) & 0xff;
	assert_int_equal(tlsparse_client_hello(b.p, 5, &h), -EINVAL);
	b.p[3] = (16384 + 2048) >> 8;
	b.p[4] = (16384 + 2048) & 0xff; /* largest record, not all here, but the hello is */
	assert_int_equal(parse(&b, &h), 0);
	b.p[7] = 0x40; /* now the hello is not complete either */
	assert_int_equal(parse(&b, &h), -EAGAIN);
	free(b.p);
}

/* Wraps a ClientHello body into a handshake message in as many records as it needs. */
static struct bytes wrap_body(const uint8_t *body, size_t n, uint8_t hs_type)
{
	struct bytes m = {malloc(n + 4), n + 4}, r;
	size_t cuts[8], ncuts = 0;

	assert_non_null(m.p);
	m.p[0] = hs_type;
	m.p[1] = (uint8_t)(n >> 16);
	m.p[2] = (uint8_t)(n >> 8);
	m.p[3] = (uint8_t)n;
	memcpy(m.p + 4, body, n);
	for (size_t off = 16384; off < m.n; off += 16384)
		cuts[ncuts++] = off;
	r = reframe(&m, cuts, ncuts);
	free(m.p);
	return r;
}

static int parse_body(const struct wr *w, struct tls_client_hello *h)
{
	struct bytes r = wrap_body(w->b, w->n, 1);
	int ret = parse(&r, h);

	free(r.p);
	return ret;
}

/* version, random, empty session id, one suite, null compression. */
static void body_start(struct wr *w)
{
	w->n = 0;
	put16(w, 0x0303);
	putrepeat(w, 0xaa, 32);
	put8(w, 0);
	put16(w, 2);
	put16(w, 0x1301);
	put8(w, 1);
	put8(w, 0);
}

/* A minimal body whose extensions block holds exactly one extension. */
static int parse_one_ext(uint16_t type, const void *data, size_t len, struct tls_client_hello *h)
{
	static struct wr w;

	body_start(&w);
	put16(&w, (unsigned)len + 4);
	put16(&w, type);
	put16(&w, (unsigned)len);
	putmem(&w, data, len);
	return parse_body(&w, h);
}

static void test_handshake_type_and_size(void **state)
{
	static struct wr w;
	struct tls_client_hello h;
	struct bytes r;

	body_start(&w);
	r = wrap_body(w.b, w.n, 2); /* ServerHello */
	assert_int_equal(parse(&r, &h), -EINVAL);
	assert_int_equal(tlsparse_client_hello(r.p, 9, &h), -EINVAL);
	free(r.p);
	r = wrap_body(w.b, w.n, 1);
	r.p[6] = 0x01; /* 24-bit length 0x01xxxx > 64 KiB, known from the header alone */
	assert_int_equal(tlsparse_client_hello(r.p, 9, &h), -E2BIG);
	free(r.p);

	/* Exactly 64 KiB (a padding extension fills it) spans five records and parses. */
	put16(&w, 65536 - w.n - 2);
	put16(&w, 21);
	put16(&w, 65536 - w.n - 2);
	putrepeat(&w, 0, 65536 - w.n);
	assert_int_equal(parse_body(&w, &h), 0);
	r = wrap_body(w.b, w.n, 1);
	assert_int_equal(tlsparse_client_hello(r.p, r.n - 1, &h), -EAGAIN);
	free(r.p);
	put8(&w, 0);
	assert_int_equal(parse_body(&w, &h), -E2BIG);
}

static void test_body_field_errors(void **state)
{
	static struct wr w;
	struct tls_client_hello h;

	body_start(&w);
	assert_int_equal(parse_body(&w, &h), 0); /* no extensions block at all */
	assert_string_equal(h.sni, "");
	w.b[0] = 0x02; /* legacy_version 0x0203 */
	assert_int_equal(parse_body(&w, &h), -EINVAL);

	body_start(&w);
	w.b[34] = 33; /* session id longer than 32 (and than the body) */
	assert_int_equal(parse_body(&w, &h), -EINVAL);
	body_start(&w);
	w.b[36] = 3; /* odd cipher suites length */
	assert_int_equal(parse_body(&w, &h), -EINVAL);
	body_start(&w);
	w.b[36] = 0; /* empty cipher suites */
	assert_int_equal(parse_body(&w, &h), -EINVAL);
	body_start(&w);
	w.b[39] = 0; /* no compression methods */
	assert_int_equal(parse_body(&w, &h), -EINVAL);

	body_start(&w);
	w.n -= 1; /* truncated compression methods */
	assert_int_equal(parse_body(&w, &h), -EINVAL);
	body_start(&w);
	put8(&w, 0); /* one stray byte where the extensions length goes */
	assert_int_equal(parse_body(&w, &h), -EINVAL);
}

static void test_extension_block_errors(void **state)
{
	static struct wr w;
	struct tls_client_hello h;

	body_start(&w);
	put16(&w, 0); /* empty extensions block: fine */
	assert_int_equal(parse_body(&w, &h), 0);
	put8(&w, 0); /* trailing byte after the block */
	assert_int_equal(parse_body(&w, &h), -EINVAL);

	body_start(&w);
	put16(&w, 5); /* block longer than what follows */
	put16(&w, 99);
	put16(&w, 0);
	assert_int_equal(parse_body(&w, &h), -EINVAL);

	body_start(&w);
	put16(&w, 4);
	put16(&w, 99);
	put16(&w, 1); /* extension data runs past the block */
	assert_int_equal(parse_body(&w, &h), -EINVAL);

	body_start(&w);
	put16(&w, 3); /* truncated extension header */
	put16(&w, 99);
	put8(&w, 0);
	assert_int_equal(parse_body(&w, &h), -EINVAL);

	body_start(&w); /* an unknown extension is skipped */
	put16(&w, 7);
	put16(&w, 0xfafa);
	put16(&w, 3);
	put24(&w, 0x010203);
	assert_int_equal(parse_body(&w, &h), 0);
}

static void test_sni(void **state)
{
	static const char ok255[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaa";
	static struct wr e;
	struct tls_client_hello h;
	const char *bad[] = {"a b", "a\0b", "a\x80", "a/b", ""};

	assert_int_equal(strlen(ok255), 255);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t len = strlen(bad[i]) + (i == 1 ? 2 : 0);

		e.n = 0;
		put16(&e, (unsigned)len + 3);
		put8(&e, 0);
		put16(&e, (unsigned)len);
		putmem(&e, bad[i], len);
		assert_int_equal(parse_one_ext(0, e.b, e.n, &h), -EINVAL);
	}

	e.n = 0; /* an unknown name type is skipped, the host_name kept */
	put16(&e, 3 + 1 + 3 + 255);
	put8(&e, 7);
	put16(&e, 1);
	put8(&e, 'x');
	put8(&e, 0);
	put16(&e, 255);
	putmem(&e, ok255, 255);
	assert_int_equal(parse_one_ext(0, e.b, e.n, &h), 0);
	assert_string_equal(h.sni, ok255);

	e.n = 0; /* two host_names */
	put16(&e, 8);
	put8(&e, 0);
	put16(&e, 1);
	put8(&e, 'a');
	put8(&e, 0);
	put16(&e, 1);
	put8(&e, 'b');
	assert_int_equal(parse_one_ext(0, e.b, e.n, &h), -EINVAL);

	e.n = 0; /* list length disagrees with the extension length */
	put16(&e, 5);
	put8(&e, 0);
	put16(&e, 1);
	put8(&e, 'a');
	assert_int_equal(parse_one_ext(0, e.b, e.n, &h), -EINVAL);
	assert_int_equal(parse_one_ext(0, "\x00\x00", 2, &h), -EINVAL); /* empty list */
	assert_int_equal(parse_one_ext(0, "", 0, &h), -EINVAL);
}

static void test_duplicate_extension(void **state)
{
	static struct wr w;
	struct tls_client_hello h;

	body_start(&w);
	put16(&w, 14);
	for (int i = 0; i < 2; i++) {
		put16(&w, 43);
		put16(&w, 3);
		put8(&w, 2);
		put16(&w, 0x0304);
	}
	assert_int_equal(parse_body(&w, &h), -EINVAL);
	w.b[w.n - 6] = 44; /* second one is now key_share-ish: fine */
	assert_int_equal(parse_body(&w, &h), 0);
	assert_true(h.has_supported_versions_13);
}

static void test_alpn(void **state)
{
	static struct wr e;
	struct tls_client_hello h;
	char long_proto[64];

	memset(long_proto, 'p', sizeof(long_proto));
	e.n = 0;
	put16(&e, 0);
	put8(&e, 64); /* too long to keep: skipped */
	putmem(&e, long_proto, 64);
	put8(&e, 3);
	putmem(&e, "a\0b", 3); /* has a NUL: skipped */
	for (int i = 0; i < 17; i++) {
		put8(&e, 2);
		put8(&e, 'a' + i);
		put8(&e, 'z');
	}
	e.b[0] = (uint8_t)((e.n - 2) >> 8);
	e.b[1] = (uint8_t)(e.n - 2);
	assert_int_equal(parse_one_ext(16, e.b, e.n, &h), 0);
	assert_int_equal(h.nalpn, TLSPARSE_MAX_ALPN);
	assert_string_equal(h.alpn[0], "az");
	assert_string_equal(h.alpn[15], "pz");
	assert_true(h.alpn_truncated);

	assert_int_equal(parse_one_ext(16, "\x00\x03\x02h2", 5, &h), 0);
	assert_int_equal(h.nalpn, 1);
	assert_false(h.alpn_truncated);
	assert_int_equal(parse_one_ext(16, "\x00\x00", 2, &h), -EINVAL);       /* empty list */
	assert_int_equal(parse_one_ext(16, "\x00\x01\x00", 3, &h), -EINVAL);   /* empty name */
	assert_int_equal(parse_one_ext(16, "\x00\x03\x03h2", 5, &h), -EINVAL); /* name overruns */
	assert_int_equal(parse_one_ext(16, "\x00\x04\x02h2", 5, &h), -EINVAL); /* list overruns */
	assert_int_equal(parse_one_ext(16, "\x00\x03\x02h2\x00", 6, &h), -EINVAL); /* trailing */
}

static void test_supported_versions(void **state)
{
	struct tls_client_hello h;

	assert_int_equal(parse_one_ext(43, "\x04\x7a\x7a\x03\x04", 5, &h), 0);
	assert_true(h.has_supported_versions_13);
	assert_int_equal(parse_one_ext(43, "\x02\x03\x03", 3, &h), 0);
	assert_false(h.has_supported_versions_13);
	assert_int_equal(parse_one_ext(43, "\x00", 1, &h), -EINVAL);
	assert_int_equal(parse_one_ext(43, "\x03\x03\x04\x03", 4, &h), -EINVAL);
	assert_int_equal(parse_one_ext(43, "\x04\x03\x04", 3, &h), -EINVAL);
	assert_int_equal(parse_one_ext(43, "\x02\x03\x04\x00", 4, &h), -EINVAL);
}

static void test_not_tls(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15};
	struct tls_client_hello h;

	assert_int_equal(tlsparse_client_hello((const uint8_t *)get, strlen(get), &h), -EINVAL);
	assert_int_equal(tlsparse_client_hello((const uint8_t *)get, 1, &h), -EINVAL);
	assert_int_equal(tlsparse_client_hello(sslv2, sizeof(sslv2), &h), -EINVAL);
	assert_int_equal(tlsparse_client_hello(NULL, 0, &h), -EAGAIN);
	assert_int_equal(tlsparse_client_hello((const uint8_t *)"\x16\x03", 2, &h), -EAGAIN);
	assert_int_equal(tlsparse_client_hello((const uint8_t *)"\x16\x04", 2, &h), -EINVAL);
}

/* Any single corrupted byte gives one of the documented results, and a success still holds
 * only valid strings. */
static void test_corrupt_every_byte(void **state)
{
	struct bytes b = hello_13_full();
	static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	struct tls_client_hello h;

	for (size_t i = 0; i < b.n; i++) {
		uint8_t orig = b.p[i];

		for (size_t v = 0; v < sizeof(vals); v++) {
			int r;

			b.p[i] = orig ^ vals[v];
			r = parse(&b, &h);
			assert_true(r == 0 || r == -EAGAIN || r == -EINVAL || r == -E2BIG);
			if (r == 0) {
				assert_true(strlen(h.sni) < sizeof(h.sni));
				assert_true(h.nalpn <= TLSPARSE_MAX_ALPN);
			}
		}
		b.p[i] = orig;
	}
	free(b.p);
}

/* The fields a parse fills, without the scan state. */
static void assert_same_hello(const struct tls_client_hello *a, const struct tls_client_hello *b)
{
	assert_memory_equal(a, b, offsetof(struct tls_client_hello, scan));
}

/* Feeds b one byte more per call to the scan parser: each answer is the one-shot parser's on the
 * same prefix (-EAGAIN until the hello is there), and the work stays linear. */
static void feed_bytewise(const struct bytes *b, int want_rc, size_t max_scanned)
{
	struct tls_client_hello *h = calloc(1, sizeof(*h)), once;
	int r = -EAGAIN;
	size_t k;

	assert_non_null(h);
	for (k = 1; k <= b->n && r == -EAGAIN; k++) {
		r = tlsparse_client_hello_scan(b->p, k, h);
		assert_int_equal(r, tlsparse_client_hello(b->p, k, &once));
	}
	assert_int_equal(r, want_rc);
	if (r == 0)
		assert_same_hello(h, &once);
	assert_true(h->scan.scanned <= max_scanned);
	assert_int_equal(h->scan.off, 0); /* set back for the next hello */
	free(h);
}

/* Issue 16.4: a hello in one-byte records, sent a byte at a time, is walked once (before, each
 * read gathered every record again: quadratic). */
static void test_scan_linear(void **state)
{
	struct bytes b = hello_13_full(), m = hs_message(&b), r;
	size_t *cuts = calloc(m.n, sizeof(*cuts));

	assert_non_null(cuts);
	for (size_t i = 1; i < m.n; i++)
		cuts[i - 1] = i;
	r = reframe(&m, cuts, m.n - 1);
	feed_bytewise(&b, 0, 2 * b.n);
	feed_bytewise(&r, 0, 2 * m.n + 8);
	/* Each cut of the two-record form. */
	for (size_t c = 1; c < m.n; c += 37) {
		struct bytes t = reframe(&m, &c, 1);
		feed_bytewise(&t, 0, 2 * m.n + 8);
		free(t.p);
	}
	/* Errors come at the same byte as with the one-shot parser. */
	r.p[6 * 40] = 20; /* the 41st record: change_cipher_spec */
	feed_bytewise(&r, -EINVAL, 2 * m.n + 8);
	b.p[5] = 2; /* not a ClientHello */
	feed_bytewise(&b, -EINVAL, 2 * b.n);
	free(r.p);
	free(cuts);
	free(b.p);
}

/* The same state serves a second hello after the first (proxy TLS, then the tunnelled one). */
static void test_scan_reuse(void **state)
{
	struct bytes b = hello_13_full(), p = hello_12_plain();
	struct tls_client_hello *h = calloc(1, sizeof(*h)), want;

	assert_non_null(h);
	assert_int_equal(tlsparse_client_hello_scan(b.p, b.n - 1, h), -EAGAIN);
	assert_int_equal(tlsparse_client_hello_scan(b.p, b.n, h), 0);
	assert_int_equal(tlsparse_client_hello_scan(p.p, 10, h), -EAGAIN);
	assert_int_equal(tlsparse_client_hello_scan(p.p, p.n, h), 0);
	assert_int_equal(parse(&p, &want), 0);
	assert_same_hello(h, &want);
	free(h);
	free(b.p);
	free(p.p);
}

static void write_seed(const char *dir, const char *name, const struct bytes *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b->p, 1, b->n, f), b->n);
	assert_int_equal(fclose(f), 0);
}

/* Seeds for tests/fuzz/corpus/fuzz_tlsparse_client_hello (state: the directory). */
static void write_corpus(void **state)
{
	const char *dir = *state;
	struct bytes b[4], m, r;
	size_t cut = 60;

	b[0] = hello_13_full();
	b[1] = hello_12_plain();
	b[2] = openssl_hello(TLS1_2_VERSION, "www.example.org", alpn_h2_h11, 12);
	b[3] = openssl_hello(0, "localhost", NULL, 0);
	write_seed(dir, "openssl_13_sni_alpn", &b[0]);
	write_seed(dir, "openssl_12_plain", &b[1]);
	write_seed(dir, "openssl_12_sni_alpn", &b[2]);
	write_seed(dir, "openssl_13_sni", &b[3]);
	m = hs_message(&b[0]);
	r = reframe(&m, &cut, 1);
	write_seed(dir, "openssl_13_two_records", &r);
	free(r.p);
	for (size_t i = 0; i < ARRAY_SIZE(b); i++)
		free(b[i].p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest gen[] = {
	    cmocka_unit_test_prestate(write_corpus, argc == 3 ? argv[2] : NULL),
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_looks_like_tls),
	    cmocka_unit_test(test_scan_linear),
	    cmocka_unit_test(test_scan_reuse),
	    cmocka_unit_test(test_openssl_13_sni_alpn),
	    cmocka_unit_test(test_openssl_13_plain),
	    cmocka_unit_test(test_openssl_12_plain),
	    cmocka_unit_test(test_openssl_12_sni_alpn),
	    cmocka_unit_test(test_split_every_offset),
	    cmocka_unit_test(test_two_records),
	    cmocka_unit_test(test_one_byte_records),
	    cmocka_unit_test(test_foreign_record_inside),
	    cmocka_unit_test(test_record_header_errors),
	    cmocka_unit_test(test_handshake_type_and_size),
	    cmocka_unit_test(test_body_field_errors),
	    cmocka_unit_test(test_extension_block_errors),
	    cmocka_unit_test(test_sni),
	    cmocka_unit_test(test_duplicate_extension),
	    cmocka_unit_test(test_alpn),
	    cmocka_unit_test(test_supported_versions),
	    cmocka_unit_test(test_not_tls),
	    cmocka_unit_test(test_corrupt_every_byte),
	};

	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return cmocka_run_group_tests(gen, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
