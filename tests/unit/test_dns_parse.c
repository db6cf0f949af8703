/* Unit tests for the dns module's parser (worker side). Messages are assembled by hand in the
 * shapes real resolvers send; each test checks what dns_parse decodes for the flow record, and
 * every malformed shape it must refuse (pointers, lengths, truncation at every offset). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

#define MSG_MAX 8192

/* Assembles bytes from space-separated tokens: "c00c" hex bytes, "n:www.example.com" a name
 * ("n:." the root), "l:h2" a length-prefixed string, "s:abc" raw text, "w:443" a 16-bit and
 * "d:300" a 32-bit decimal. */
static size_t assemble(uint8_t *out, size_t cap, const char *spec)
{
	char tok[600];
	size_t n = 0;
	int used;

	while (sscanf(spec, " %599s%n", tok, &used) == 1) {
		spec += used;
		const char *v = tok + 2;
		if (strncmp(tok, "n:", 2) == 0) {
			while (strcmp(v, ".") != 0 && *v) {
				size_t len = strcspn(v, ".");
				out[n++] = (uint8_t)len;
				memcpy(out + n, v, len);
				n += len;
				v += len + (v[len] == '.');
			}
			out[n++] = 0;
		} else if (strncmp(tok, "l:", 2) == 0 || strncmp(tok, "s:", 2) == 0) {
			if (tok[0] == 'l')
				out[n++] = (uint8_t)strlen(v);
			memcpy(out + n, v, strlen(v));
			n += strlen(v);
		} else if (strncmp(tok, "w:", 2) == 0) {
			unsigned long x = strtoul(v, NULL, 10);
			out[n++] = (uint8_t)(x >> 8);
			out[n++] = (uint8_t)x;
		} else if (strncmp(tok, "d:", 2) == 0) {
			unsigned long x = strtoul(v, NULL, 10);
			for (int s = 24; s >= 0; s -= 8)
				out[n++] = (uint8_t)(x >> s);
		} else {
			for (size_t i = 0; tok[i] && tok[i + 1]; i += 2) {
				unsigned x;
				assert_int_equal(sscanf(tok + i, "%2x", &x), 1);
				out[n++] = (uint8_t)x;
			}
		}
		assert_true(n <= cap);
	}
	return n;
}

struct fixture {
	uint8_t b[MSG_MAX];
	size_t n;
	struct dns_msg m;
};

static int parse(struct fixture *f, const char *spec)
{
	f->n = assemble(f->b, sizeof(f->b), spec);
	return dns_parse(f->b, f->n, &f->m);
}

/* Parses a response with one answer record (after the question www.example.com A) and returns
 * its display. */
static const char *one_answer(struct fixture *f, const char *rr_spec)
{
	char spec[8192];
	static char display[DNS_DISPLAY_MAX];

	snprintf(spec, sizeof(spec), "w:1 8180 w:1 w:1 w:0 w:0 n:www.example.com w:1 w:1 %s",
		 rr_spec);
	assert_int_equal(parse(f, spec), 0);
	assert_int_equal(f->m.nan, 1);
	snprintf(display, sizeof(display), "%s", f->m.an[0].display);
	dns_msg_free(&f->m);
	return display;
}

/* The shape a stub resolver gets back: CNAME to a CDN name, then its address, EDNS. */
#define CNAME_RESPONSE                                                                             \
	"w:4660 8180 w:1 w:2 w:0 w:1 "                                                             \
	"n:www.example.com w:1 w:1 "                                                               \
	"c00c w:5 w:1 d:300 w:6 l:cdn c010 "                                                       \
	"c02d w:1 w:1 d:60 w:4 5db8d822 "                                                          \
	"00 w:41 w:1232 d:32768 w:0"

static void test_query_with_edns(void **state)
{
	struct fixture f;

	/* dig's query shape: RD, AD, EDNS 1232 with DO and a client cookie. */
	assert_int_equal(parse(&f, "w:48879 0120 w:1 w:0 w:0 w:1 n:Www.Example.COM w:28 w:1 "
				   "00 w:41 w:1232 d:32768 w:12 w:10 w:8 0102030405060708"),
			 0);
	assert_int_equal(f.m.id, 48879);
	assert_false(f.m.qr);
	assert_true(f.m.rd);
	assert_true(f.m.ad);
	assert_false(f.m.aa || f.m.tc || f.m.ra || f.m.cd);
	assert_int_equal(f.m.opcode, 0);
	assert_int_equal(f.m.nqd, 1);
	assert_string_equal(f.m.qd[0].name, "Www.Example.COM");
	assert_int_equal(f.m.qd[0].type, DNS_T_AAAA);
	assert_int_equal(f.m.qd[0].class, DNS_C_IN);
	assert_true(f.m.has_edns);
	assert_true(f.m.edns_do);
	assert_int_equal(f.m.edns_udp_size, 1232);
	assert_int_equal(f.m.edns_version, 0);
	assert_int_equal(f.m.edns_optlen, 12);
	assert_int_equal(f.m.edns_opts[4], 1);
	assert_int_equal(f.m.nar, 1);
	assert_string_equal(f.m.ar[0].display,
			    "udp=1232 version=0 flags=do option10=0102030405060708");
	dns_msg_free(&f.m);
}

static void test_cname_response_compressed(void **state)
{
	struct fixture f;

	assert_int_equal(parse(&f, CNAME_RESPONSE), 0);
	assert_int_equal(f.m.id, 0x1234);
	assert_true(f.m.qr && f.m.rd && f.m.ra);
	assert_int_equal(f.m.rcode, 0);
	assert_int_equal(f.m.nan, 2);
	assert_string_equal(f.m.an[0].name, "www.example.com");
	assert_int_equal(f.m.an[0].type, DNS_T_CNAME);
	assert_int_equal(f.m.an[0].ttl, 300);
	assert_string_equal(f.m.an[0].display, "cdn.example.com");
	assert_int_equal(f.m.an[0].rdlen, 6);
	assert_ptr_equal(f.m.an[0].rdata, f.b + 45);
	assert_string_equal(f.m.an[1].name, "cdn.example.com");
	assert_string_equal(f.m.an[1].display, "93.184.216.34");
	assert_int_equal(f.m.an[1].ttl, 60);
	assert_true(f.m.has_edns);
	assert_ptr_equal(f.m.raw, f.b);
	dns_msg_free(&f.m);
	assert_null(f.m.an);
}

static void test_display_each_type(void **state)
{
	struct fixture f;

	assert_string_equal(
	    one_answer(&f, "c00c w:28 w:1 d:60 w:16 20010db8000000000000000000000001"),
	    "2001:db8::1");
	assert_string_equal(one_answer(&f, "c00c w:2 w:1 d:60 w:6 l:ns1 c010"), "ns1.example.com");
	assert_string_equal(one_answer(&f, "c00c w:12 w:1 d:60 w:18 n:mail.example.com"),
			    "mail.example.com");
	assert_string_equal(one_answer(&f, "c00c w:15 w:1 d:60 w:7 w:10 l:mx c010"),
			    "10 mx.example.com");
	assert_string_equal(one_answer(&f, "c00c w:16 w:1 d:60 w:14 l:v=spf1 l:a\"b\\c 00"),
			    "\"v=spf1\" \"a\\\"b\\\\c\" \"\"");
	assert_string_equal(one_answer(&f, "c00c w:16 w:1 d:60 w:3 02 0aff"), "\"\\010\\255\"");
	assert_string_equal(
	    one_answer(&f, "c00c w:33 w:1 d:60 w:23 w:0 w:5 w:443 n:sip.example.org"),
	    "0 5 443 sip.example.org");
	assert_string_equal(one_answer(&f, "c010 w:6 w:1 d:3600 w:33 l:ns c010 l:admin c010 "
					   "d:2024010101 d:7200 d:3600 d:1209600 d:300"),
			    "ns.example.com admin.example.com 2024010101 7200 3600 1209600 300");
	assert_string_equal(one_answer(&f, "c00c w:99 w:1 d:60 w:3 0a0b0c"), "\\# 3 0a0b0c");
	assert_string_equal(one_answer(&f, "c00c w:65280 w:1 d:60 w:0"), "\\# 0");
	assert_string_equal(one_answer(&f, "c00c w:5 w:1 d:60 w:1 00"), ".");
}

static void test_display_https_svcb(void **state)
{
	struct fixture f;

	/* Cloudflare-shaped HTTPS record: alpn, ipv4hint, ech, ipv6hint. */
	assert_string_equal(one_answer(&f,
				       "c00c w:65 w:1 d:300 w:58 w:1 00 "
				       "w:1 w:6 l:h3 l:h2 w:3 w:2 w:8443 w:4 w:8 68101a04 68101b04 "
				       "w:5 w:3 010203 w:6 w:16 26064700000000000000000068101a04"),
			    "1 . alpn=h3,h2 port=8443 ipv4hint=104.16.26.4,104.16.27.4 ech=AQID "
			    "ipv6hint=2606:4700::6810:1a04");
	/* Alias mode. */
	assert_string_equal(one_answer(&f, "c00c w:65 w:1 d:300 w:20 w:0 n:pool.example.net"),
			    "0 pool.example.net");
	/* SVCB with mandatory, no-default-alpn, dohpath and an unknown key. */
	assert_string_equal(
	    one_answer(&f, "c00c w:64 w:1 d:300 w:55 w:16 n:doh.example "
			   "w:0 w:4 w:1 w:3 w:1 w:6 l:h2 l:x, w:2 w:0 w:7 w:8 s:/q{?dns} "
			   "w:9 w:2 abcd"),
	    "16 doh.example mandatory=alpn,port alpn=h2,x\\, no-default-alpn "
	    "dohpath=/q{?dns} key9=abcd");
	/* A known key whose value does not parse falls back to the generic form. */
	assert_string_equal(one_answer(&f, "c00c w:65 w:1 d:300 w:10 w:1 00 w:3 w:3 010203"),
			    "1 . key3=010203");
	assert_string_equal(one_answer(&f, "c00c w:65 w:1 d:300 w:9 w:1 00 w:1 w:2 00 01"),
			    "1 . key1=0001");
}

static void test_rdata_shape_errors(void **state)
{
	static const char *const bad[] = {
	    "c00c w:1 w:1 d:60 w:5 0102030405",	   /* A of 5 bytes */
	    "c00c w:28 w:1 d:60 w:4 01020304",	   /* AAAA of 4 */
	    "c00c w:5 w:1 d:60 w:7 l:cdn c010 00", /* CNAME with a byte after the name */
	    "c00c w:5 w:1 d:60 w:3 l:cdn",	   /* CNAME name runs past rdata */
	    "c00c w:15 w:1 d:60 w:1 00",	   /* MX without its preference */
	    "c00c w:6 w:1 d:60 w:20 00 00 d:1 d:2 d:3 d:4 w:5",	  /* SOA two bytes short */
	    "c00c w:16 w:1 d:60 w:3 05 6162",			  /* TXT string past rdata */
	    "c00c w:65 w:1 d:60 w:2 w:1",			  /* HTTPS without target */
	    "c00c w:65 w:1 d:60 w:5 w:1 c00c 00",		  /* compressed SVCB target */
	    "c00c w:65 w:1 d:60 w:13 w:1 00 w:3 w:2 w:1 w:1 w:0", /* keys out of order */
	    "c00c w:65 w:1 d:60 w:13 w:1 00 w:3 w:2 w:1 w:3 w:0", /* repeated key */
	    "c00c w:65 w:1 d:60 w:7 w:1 00 w:3 w:4",		  /* value past rdata */
	    "c00c w:65 w:1 d:60 w:5 w:1 00 w:3",		  /* half a key */
	    "c00c w:1 w:1 d:60 w:4 010203",			  /* rdata past the end */
	};
	char spec[512];
	struct fixture f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec),
			 "w:1 8180 w:1 w:1 w:0 w:0 n:www.example.com w:1 w:1 %s", bad[i]);
		if (parse(&f, spec) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void test_compression_pointers(void **state)
{
	struct fixture f;

	/* Pointer to a pointer, both backwards: owner of the A record -> CNAME rdata -> question.
	 */
	assert_int_equal(parse(&f, "w:1 8180 w:1 w:2 w:0 w:0 n:www.example.com w:1 w:1 "
				   "c00c w:5 w:1 d:60 w:2 c00c "
				   "c02d w:1 w:1 d:60 w:4 01020304"),
			 0);
	assert_string_equal(f.m.an[1].name, "www.example.com");
	dns_msg_free(&f.m);
	/* Suffix pointer into the middle of a name. */
	assert_int_equal(parse(&f, "w:1 8180 w:1 w:1 w:0 w:0 n:www.example.com w:1 w:1 "
				   "c018 w:1 w:1 d:60 w:4 01020304"),
			 0);
	assert_string_equal(f.m.an[0].name, "com");
	dns_msg_free(&f.m);

	/* Forward pointer. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 c00e 00 w:1 w:1"), -EBADMSG);
	/* Pointer to itself. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 c00c w:1 w:1"), -EBADMSG);
	/* Two pointers to each other: the first is forward (loop). */
	assert_int_equal(parse(&f, "w:1 0100 w:2 w:0 w:0 w:0 c012 w:1 w:1 c00c w:1 w:1"), -EBADMSG);
	/* Loop through a label: 01 61 then a pointer back to the label. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 0161 c00c w:1 w:1"), -EBADMSG);
	/* Pointer into the header. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 c004 w:1 w:1"), -EBADMSG);
	/* Pointer to a name that runs over the pointer itself. */
	assert_int_equal(parse(&f, "w:1 0100 w:2 w:0 w:0 w:0 03616263 c00c w:1 w:1"), -EBADMSG);
	/* Half a pointer at the end. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 c0"), -EBADMSG);
	/* Reserved label types 0x40 and 0x80. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 4161 00 w:1 w:1"), -EBADMSG);
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 8161 00 w:1 w:1"), -EBADMSG);
}

/* A question whose name has nlabels labels of len bytes each ('a'), wire-encoded. */
static int parse_long_name(struct fixture *f, size_t nlabels, size_t len)
{
	size_t n = 0;

	memcpy(f->b, "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	n = 12;
	for (size_t i = 0; i < nlabels; i++) {
		f->b[n++] = (uint8_t)len;
		memset(f->b + n, 'a', len);
		n += len;
	}
	memcpy(f->b + n, "\x00\x00\x01\x00\x01", 5);
	f->n = n + 5;
	return dns_parse(f->b, f->n, &f->m);
}

static void test_name_limits(void **state)
{
	struct fixture f;

	/* 127 one-byte labels: 255 bytes on the wire. */
	assert_int_equal(parse_long_name(&f, 127, 1), 0);
	assert_int_equal(strlen(f.m.qd[0].name), 253);
	dns_msg_free(&f.m);
	assert_int_equal(parse_long_name(&f, 128, 1), -EBADMSG);
	/* 4 labels of 63 = 257 bytes. */
	assert_int_equal(parse_long_name(&f, 3, 63), 0);
	dns_msg_free(&f.m);
	assert_int_equal(parse_long_name(&f, 4, 63), -EBADMSG);
	assert_int_equal(parse_long_name(&f, 1, 64), -EBADMSG);

	/* The longest presentation form: every byte escaped as \DDD. */
	f.n = assemble(f.b, sizeof(f.b), "w:1 0100 w:1 w:0 w:0 w:0");
	for (int l = 0; l < 4; l++) {
		size_t len = l < 3 ? 63 : 61;
		f.b[f.n++] = (uint8_t)len;
		memset(f.b + f.n, 0xff, len);
		f.n += len;
	}
	f.n += assemble(f.b + f.n, 8, "00 w:1 w:1");
	assert_int_equal(dns_parse(f.b, f.n, &f.m), 0);
	assert_int_equal(strlen(f.m.qd[0].name), 250 * 4 + 3);
	assert_memory_equal(f.m.qd[0].name, "\\255\\255", 8);
	dns_msg_free(&f.m);
}

static void test_name_escapes(void **state)
{
	struct fixture f;

	assert_int_equal(parse(&f, "w:1 0100 w:2 w:0 w:0 w:0 06 612e6220ff5c 03 28293b 00 w:1 w:1 "
				   "00 w:2 w:1"),
			 0);
	assert_string_equal(f.m.qd[0].name, "a\\.b\\032\\255\\\\.\\(\\)\\;");
	assert_string_equal(f.m.qd[1].name, ".");
	assert_int_equal(f.m.qd[1].type, DNS_T_NS);
	dns_msg_free(&f.m);
}

static void test_counts_and_sizes(void **state)
{
	struct fixture f;
	uint8_t *big = calloc(1, DNS_MAX_MSG + 1);
	struct dns_msg m;

	/* More than DNS_MAX_RR in a section. */
	assert_int_equal(parse(&f, "w:1 0100 w:257 w:0 w:0 w:0"), -E2BIG);
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:0 w:0 w:300"), -E2BIG);
	assert_int_equal(dns_parse(big, DNS_MAX_MSG + 1, &m), -E2BIG);
	free(big);
	/* Counts that cannot fit in the bytes, refused before allocating. */
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:256 w:0 w:0 00 w:1 w:1 d:0 w:0"), -EBADMSG);
	/* Fewer records than counted. */
	assert_int_equal(parse(&f, "w:1 0100 w:2 w:0 w:0 w:0 00 w:1 w:1 00 w:1"), -EBADMSG);
	/* Trailing garbage after the last record. */
	assert_int_equal(parse(&f, "w:1 0100 w:1 w:0 w:0 w:0 00 w:1 w:1 00"), -EBADMSG);
	/* Shorter than a header. */
	assert_int_equal(parse(&f, "w:1 0100 w:0 w:0 w:0"), -EBADMSG);
	/* A header alone is a valid (empty) message. */
	assert_int_equal(parse(&f, "w:7 8783 w:0 w:0 w:0 w:0"), 0);
	assert_true(f.m.aa && f.m.tc && f.m.rd);
	assert_int_equal(f.m.rcode, DNS_R_NXDOMAIN);
	assert_null(f.m.qd);
	dns_msg_free(&f.m);
}

static void test_edns_rules(void **state)
{
	struct fixture f;

	/* Extended rcode: BADVERS is 1 in the OPT record, 0 in the header. */
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:0 w:0 w:1 00 w:41 w:512 01010000 w:0"), 0);
	assert_int_equal(f.m.rcode, 0);
	assert_int_equal(f.m.rcode_ext, DNS_R_BADVERS);
	assert_int_equal(f.m.edns_version, 1);
	assert_false(f.m.edns_do);
	dns_msg_free(&f.m);
	/* OPT in the answer section, twice, at a non-root name, option past its end. */
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:1 w:0 w:0 00 w:41 w:512 d:0 w:0"), -EBADMSG);
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:0 w:0 w:2 00 w:41 w:512 d:0 w:0 "
				   "00 w:41 w:512 d:0 w:0"),
			 -EBADMSG);
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:0 w:0 w:1 n:a w:41 w:512 d:0 w:0"), -EBADMSG);
	assert_int_equal(parse(&f, "w:1 8180 w:0 w:0 w:0 w:1 00 w:41 w:512 d:0 w:6 w:10 w:4 0102"),
			 -EBADMSG);
}

static void test_truncated_everywhere(void **state)
{
	struct fixture f;
	struct dns_msg m;

	assert_int_equal(parse(&f, CNAME_RESPONSE), 0);
	dns_msg_free(&f.m);
	for (size_t i = 0; i < f.n; i++) {
		/* A copy of exactly i bytes, so ASan sees any read past it. */
		uint8_t *p = malloc(i ? i : 1);
		memcpy(p, f.b, i);
		if (dns_parse(p, i, &m) != -EBADMSG)
			fail_msg("prefix of %zu bytes not refused", i);
		free(p);
	}
	/* Every single-byte change either parses or is refused, never anything else. */
	for (size_t i = 0; i < f.n; i++) {
		for (int v = 0; v < 256; v += 17) {
			uint8_t save = f.b[i];
			f.b[i] = (uint8_t)v;
			int r = dns_parse(f.b, f.n, &m);
			assert_true(r == 0 || r == -EBADMSG || r == -E2BIG);
			if (r == 0)
				dns_msg_free(&m);
			f.b[i] = save;
		}
	}
}

static void test_long_display_is_cut(void **state)
{
	char spec[8192] = "c00c w:16 w:1 d:60 w:2560";
	const char *d;
	struct fixture f;

	for (int i = 0; i < 10; i++) {
		strcat(spec, " ff");
		for (int j = 0; j < 255; j++)
			strcat(spec, "41");
	}
	d = one_answer(&f, spec);
	assert_true(strlen(d) < DNS_DISPLAY_MAX);
	assert_true(strlen(d) > DNS_DISPLAY_MAX - 300);
	assert_string_equal(d + strlen(d) - 3, "...");
	assert_int_equal(d[0], '"');
}

static void test_header_peek(void **state)
{
	uint8_t b[12] = {0xab, 0xcd, 0x01, 0x20};
	uint16_t id, flags;

	assert_int_equal(dns_header_peek(b, 11, &id, &flags), -EBADMSG);
	assert_int_equal(dns_header_peek(b, 12, &id, &flags), 0);
	assert_int_equal(id, 0xabcd);
	assert_int_equal(flags, 0x0120);
}

static void test_mnemonics(void **state)
{
	char buf[32];

	assert_string_equal(dns_type_name(1, buf, sizeof(buf)), "A");
	assert_string_equal(dns_type_name(65, buf, sizeof(buf)), "HTTPS");
	assert_string_equal(dns_type_name(257, buf, sizeof(buf)), "CAA");
	assert_string_equal(dns_type_name(65280, buf, sizeof(buf)), "TYPE65280");
	assert_string_equal(dns_rcode_name(3, buf, sizeof(buf)), "NXDOMAIN");
	assert_string_equal(dns_rcode_name(16, buf, sizeof(buf)), "BADVERS");
	assert_string_equal(dns_rcode_name(12, buf, sizeof(buf)), "RCODE(12)");
	assert_string_equal(dns_class_name(1, buf, sizeof(buf)), "IN");
	assert_string_equal(dns_class_name(3, buf, sizeof(buf)), "CH");
	assert_string_equal(dns_class_name(1232, buf, sizeof(buf)), "CLASS1232");
}

/* Decompression work. A chain of back-pointers sits in the rdata of an opaque record (element 0
 * points to the question name "a" at 12, element k to element k-1); names elsewhere point into
 * it. A name pointing at element k follows k + 2 pointers. */
#define BIG_MAX 65535
#define CHAIN_RR_TYPE 65280 /* private use: opaque rdata */

struct big {
	uint8_t b[BIG_MAX];
	size_t n;
	uint16_t counts[4];
	size_t chain; /* offset of element 0 */
};

static void big_put16(struct big *g, uint16_t v)
{
	assert_true(g->n + 2 <= BIG_MAX);
	g->b[g->n++] = (uint8_t)(v >> 8);
	g->b[g->n++] = (uint8_t)v;
}

static void big_ptr(struct big *g, size_t target)
{
	assert_true(target < 0x4000);
	big_put16(g, (uint16_t)(0xc000 | target));
}

/* Record header: owner (a pointer), type, class IN, ttl 0, rdlen. */
static void big_rr(struct big *g, int section, size_t owner, uint16_t type, uint16_t rdlen)
{
	big_ptr(g, owner);
	big_put16(g, type);
	big_put16(g, 1);
	big_put16(g, 0);
	big_put16(g, 0);
	big_put16(g, rdlen);
	g->counts[section]++;
}

/* Header, the question "a" A IN and an answer holding a chain of nchain pointers. */
static void big_start(struct big *g, size_t nchain)
{
	static const uint8_t head[] = {0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0,
				       0,    0,	   1,	 'a',  0, 0, 1, 0, 1};

	memset(g, 0, sizeof(*g));
	memcpy(g->b, head, sizeof(head));
	g->n = sizeof(head);
	g->counts[0] = 1;
	big_rr(g, 1, 12, CHAIN_RR_TYPE, (uint16_t)(2 * nchain));
	g->chain = g->n;
	big_ptr(g, 12);
	for (size_t k = 1; k < nchain; k++)
		big_ptr(g, g->chain + 2 * (k - 1));
}

static size_t big_elem(const struct big *g, size_t k)
{
	return g->chain + 2 * k;
}

/* Fills every section to DNS_MAX_RR with CNAME records whose owner and target both point at
 * chain element k, then pads to 64 KiB with one opaque record. */
static void big_fill(struct big *g, size_t k)
{
	for (int s = 1; s < 4; s++) {
		while (g->counts[s] < DNS_MAX_RR - (s == 3)) {
			big_rr(g, s, big_elem(g, k), DNS_T_CNAME, 2);
			big_ptr(g, big_elem(g, k));
		}
	}
	size_t pad = BIG_MAX - g->n - 12;
	big_rr(g, 3, 12, CHAIN_RR_TYPE, (uint16_t)pad);
	g->n += pad;
	assert_int_equal(g->n, BIG_MAX);
}

static int big_parse(struct big *g, struct dns_msg *m)
{
	for (int i = 0; i < 4; i++) {
		g->b[4 + 2 * i] = (uint8_t)(g->counts[i] >> 8);
		g->b[5 + 2 * i] = (uint8_t)g->counts[i];
	}
	return dns_parse(g->b, g->n, m);
}

static void test_pointer_hops_per_name(void **state)
{
	static struct big g;
	struct dns_msg m;

	/* 127 pointers to reach "a" (element 125): fine; 128 (element 126): refused. */
	big_start(&g, 200);
	big_rr(&g, 2, big_elem(&g, 125), DNS_T_A, 4);
	big_put16(&g, 0x0102);
	big_put16(&g, 0x0304);
	assert_int_equal(big_parse(&g, &m), 0);
	assert_string_equal(m.ns[0].name, "a");
	assert_true(m.name_steps >= 127);
	dns_msg_free(&m);

	big_start(&g, 200);
	big_rr(&g, 2, big_elem(&g, 126), DNS_T_A, 4);
	big_put16(&g, 0x0102);
	big_put16(&g, 0x0304);
	assert_int_equal(big_parse(&g, &m), -EBADMSG);
}

/* A 64 KiB message: a chain of 8000 pointers (as far as 14-bit pointers reach) and 766 CNAME
 * records, 1532 names, all pointing at its far end. Without bounds every name walks the whole
 * chain (12 million hops); now the first name is refused after 128 steps. */
static void test_pointer_chain_64k(void **state)
{
	static struct big g;
	struct dns_msg m;

	big_start(&g, 8000);
	big_fill(&g, 7999);
	assert_int_equal(big_parse(&g, &m), -EBADMSG);

	/* The same names pointing as deep as a name may go: the message parses, every name costs
	 * 128 steps, and the total stays within the budget. */
	big_start(&g, 8000);
	big_fill(&g, 125);
	assert_int_equal(big_parse(&g, &m), 0);
	assert_int_equal(m.nan + m.nns + m.nar, 3 * DNS_MAX_RR - 1 + 1);
	assert_string_equal(m.ar[0].display, "a");
	assert_true(m.name_steps >= 1532u * 128);
	assert_true(m.name_steps <= (size_t)DNS_STEPS_PER_BYTE * BIG_MAX);
	dns_msg_free(&m);
}

/* Names with 127 labels, each reached through its own pointer (question k is "a" and a pointer
 * to question k-1's name): within the per-name bounds, but filled with records whose names all
 * point at the longest one, about 35 steps per message byte. The budget stops the parse. */
static void test_step_budget(void **state)
{
	static struct big g;
	struct dns_msg m;
	size_t top = 12, qlen;

	big_start(&g, 1);
	g.n = 19; /* keep only the header and the question "a" */
	g.counts[1] = 0;
	while (g.counts[0] < 127) {
		size_t at = g.n;
		g.b[g.n++] = 1;
		g.b[g.n++] = 'a';
		big_ptr(&g, top);
		big_put16(&g, DNS_T_A);
		big_put16(&g, 1);
		g.counts[0]++;
		top = at;
	}
	while (g.counts[0] < DNS_MAX_RR) {
		big_ptr(&g, top);
		big_put16(&g, DNS_T_A);
		big_put16(&g, 1);
		g.counts[0]++;
	}
	qlen = g.n;
	/* The questions alone: 127^2 steps for the chain, 254 for each of the other 129. */
	assert_int_equal(big_parse(&g, &m), 0);
	assert_int_equal(strlen(m.qd[DNS_MAX_RR - 1].name), 2 * 127 - 1);
	assert_int_equal(m.name_steps, 127 * 127 + 129 * 254);
	dns_msg_free(&m);

	for (int s = 1; s < 4; s++) {
		while (g.counts[s] < DNS_MAX_RR) {
			big_rr(&g, s, top, DNS_T_CNAME, 2);
			big_ptr(&g, top);
		}
	}
	assert_true(g.n < 16384);
	assert_int_equal(big_parse(&g, &m), -EBADMSG);
	assert_int_equal(m.name_steps, (size_t)DNS_STEPS_PER_BYTE * g.n);
	/* Without the records the same bytes still parse. */
	g.n = qlen;
	memset(g.counts + 1, 0, 3 * sizeof(g.counts[0]));
	assert_int_equal(big_parse(&g, &m), 0);
	dns_msg_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_with_edns),
	    cmocka_unit_test(test_cname_response_compressed),
	    cmocka_unit_test(test_display_each_type),
	    cmocka_unit_test(test_display_https_svcb),
	    cmocka_unit_test(test_rdata_shape_errors),
	    cmocka_unit_test(test_compression_pointers),
	    cmocka_unit_test(test_name_limits),
	    cmocka_unit_test(test_name_escapes),
	    cmocka_unit_test(test_counts_and_sizes),
	    cmocka_unit_test(test_edns_rules),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_long_display_is_cut),
	    cmocka_unit_test(test_header_peek),
	    cmocka_unit_test(test_mnemonics),
	    cmocka_unit_test(test_pointer_hops_per_name),
	    cmocka_unit_test(test_pointer_chain_64k),
	    cmocka_unit_test(test_step_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
