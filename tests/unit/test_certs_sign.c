/* Unit tests for leaf signing (ca process) and leaf keys (workers): the leaf's
 * names, extensions (CA:FALSE, key usage by key type) and days of validity,
 * chain verification against the CA with OpenSSL's verifier, the names and
 * keys a leaf may not carry, every refusal path, and a timing of
 * ca_sign_leaf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certs/certs.h"

#define DAY (24L * 60 * 60)
#define BENCH_N 200

struct fixture {
	char dir[64];
	struct ca_store s;
	EVP_PKEY *leaf;
	uint8_t *spki;
	size_t spki_len;
	X509_PUBKEY *pub;
};

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *path = xasprintf("%s/%s", dir, e->d_name);

		if (e->d_name[0] != '.')
			assert_int_equal(unlink(path), 0);
		free(path);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/snare-sign-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(ca_store_load_or_create(f->dir, 2048, &f->s, err, sizeof(err)), 0);
	f->leaf = leaf_key_generate(0);
	assert_non_null(f->leaf);
	assert_int_equal(leaf_key_spki(f->leaf, &f->spki, &f->spki_len), 0);
	assert_int_equal(ca_leaf_key_parse(f->spki, f->spki_len, &f->pub), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rm_dir(f->dir);
	ca_store_free(&f->s);
	EVP_PKEY_free(f->leaf);
	X509_PUBKEY_free(f->pub);
	free(f->spki);
	free(f);
	return 0;
}

static X509 *sign(struct fixture *f, const char *const *sans, size_t n, const char *org)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509 *x;

	assert_int_equal(ca_sign_leaf(&f->s, f->pub, sans, n, org, &der, &len), 0);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	free(der);
	return x;
}

static long secs_from_now(const ASN1_TIME *t)
{
	int days, secs;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
	return days * DAY + secs;
}

/* The CN, or "" when there is none. */
static void subject_cn(X509 *x, char *buf, int len)
{
	buf[0] = '\0';
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, len);
}

static void expect_dns(const GENERAL_NAME *gn, const char *name)
{
	const ASN1_IA5STRING *s = gn->d.dNSName;

	assert_int_equal(gn->type, GEN_DNS);
	assert_int_equal(ASN1_STRING_length(s), (int)strlen(name));
	assert_memory_equal(ASN1_STRING_get0_data(s), name, strlen(name));
}

static void expect_ip(const GENERAL_NAME *gn, int af, const char *text)
{
	unsigned char want[16];
	int len = af == AF_INET ? 4 : 16;

	assert_int_equal(inet_pton(af, text, want), 1);
	assert_int_equal(gn->type, GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), len);
	assert_memory_equal(ASN1_STRING_get0_data(gn->d.iPAddress), want, len);
}

/* basicConstraints CA:FALSE and keyUsage, both critical; exactly ku. */
static void expect_end_entity(X509 *x, uint32_t ku)
{
	int crit = -1;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ASN1_BIT_STRING *bits;

	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_int_equal(bc->ca, 0);
	assert_null(bc->pathlen);
	BASIC_CONSTRAINTS_free(bc);
	crit = -1;
	bits = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	assert_non_null(bits);
	assert_int_equal(crit, 1);
	ASN1_BIT_STRING_free(bits);
	assert_int_equal(X509_get_key_usage(x), ku);
	assert_false(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_int_equal(X509_check_ca(x), 0);
}

static void test_leaf_fields(void **state)
{
	struct fixture *f = *state;
	const char *sans[] = {"example.com", "127.0.0.1", "::1", "example.com"};
	X509 *x = sign(f, sans, 4, NULL);
	int crit = -1;
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	AUTHORITY_KEYID *akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	char cn[128];

	assert_int_equal(X509_verify(x, f->s.key), 1);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(f->s.cert)),
			 0);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), f->leaf), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_non_null(names);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_GENERAL_NAME_num(names), 3);
	expect_dns(sk_GENERAL_NAME_value(names, 0), "example.com");
	expect_ip(sk_GENERAL_NAME_value(names, 1), AF_INET, "127.0.0.1");
	expect_ip(sk_GENERAL_NAME_value(names, 2), AF_INET6, "::1");
	subject_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, "example.com");
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 1);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	expect_end_entity(x, KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_key_identifier, -1), -1);
	assert_int_equal(X509_get_ext_count(x), 5);
	assert_non_null(akid);
	assert_non_null(akid->keyid);
	assert_null(akid->issuer);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(f->s.cert)),
			 0);
	assert_true(labs(secs_from_now(X509_get0_notBefore(x)) + 1 * DAY) < 120);
	assert_true(labs(secs_from_now(X509_get0_notAfter(x)) - 7 * DAY) < 120);
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(x)), 16);
	AUTHORITY_KEYID_free(akid);
	GENERAL_NAMES_free(names);
	X509_free(x);
}

static int verify_chain(struct fixture *f, X509 *leaf)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_int_equal(X509_STORE_add_cert(store, f->s.cert), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER), 1);
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		print_error("verify: %s\n",
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static void test_chain_verifies(void **state)
{
	struct fixture *f = *state;
	const char *sans[] = {"example.com", "127.0.0.1", "::1", "example.com"};
	X509 *x = sign(f, sans, 4, NULL);

	assert_int_equal(verify_chain(f, x), 1);
	assert_int_equal(X509_check_host(x, "example.com", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "EXAMPLE.com", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.com", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
	X509_free(x);
}

static void test_long_name_no_cn_critical_san(void **state)
{
	struct fixture *f = *state;
	char name[71];
	const char *sans[] = {name, "short.example"};
	X509 *x;
	int crit = -1;
	GENERAL_NAMES *names;
	char cn[128];

	snprintf(name, sizeof(name), "%030d.%035d.com", 0, 0); /* 70 chars */
	assert_int_equal(strlen(name), 70);
	x = sign(f, sans, 2, NULL);
	names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	assert_int_equal(crit, 1);
	assert_int_equal(sk_GENERAL_NAME_num(names), 2);
	expect_dns(sk_GENERAL_NAME_value(names, 0), name);
	subject_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, "");
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	assert_int_equal(verify_chain(f, x), 1);
	assert_int_equal(X509_check_host(x, name, 0, 0, NULL), 1);
	GENERAL_NAMES_free(names);
	X509_free(x);
}

static void test_cn_boundary_63(void **state)
{
	struct fixture *f = *state;
	char name[64];
	const char *sans[] = {name};
	X509 *x;
	int crit = -1;
	GENERAL_NAMES *names;
	char cn[128];

	memset(name, 'b', 63);
	name[63] = '\0';
	x = sign(f, sans, 1, NULL);
	names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	assert_int_equal(crit, 0);
	subject_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, name);
	GENERAL_NAMES_free(names);
	X509_free(x);
}

static void test_org_and_ip_cn(void **state)
{
	struct fixture *f = *state;
	const char *sans[] = {"10.1.2.3", "example.org"};
	X509 *x = sign(f, sans, 2, "Example Ltd");
	char buf[128];
	char *bad = xmalloc(101);

	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName,
						   buf, sizeof(buf)),
			 11);
	assert_string_equal(buf, "Example Ltd");
	subject_cn(x, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3");
	X509_free(x);
	memset(bad, 'o', 100); /* over ub-organization-name: left out */
	bad[100] = '\0';
	x = sign(f, sans, 2, bad);
	assert_int_equal(
	    X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_organizationName, -1), -1);
	assert_null(ERR_peek_error());
	X509_free(x);
	free(bad);
}

static void test_dedup_normalises(void **state)
{
	struct fixture *f = *state;
	const char *sans[] = {"",    "Example.COM", NULL,    "example.com", "0:0::1",
			      "::1", "bad name!",   "[::1]", "127.000.0.1", "*.example.com"};
	X509 *x = sign(f, sans, ARRAY_SIZE(sans), NULL);
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char cn[128];

	/* "127.000.0.1" is no IP literal for inet_pton but a valid-looking name. */
	assert_int_equal(sk_GENERAL_NAME_num(names), 4);
	expect_dns(sk_GENERAL_NAME_value(names, 0), "Example.COM");
	expect_ip(sk_GENERAL_NAME_value(names, 1), AF_INET6, "::1");
	expect_dns(sk_GENERAL_NAME_value(names, 2), "127.000.0.1");
	expect_dns(sk_GENERAL_NAME_value(names, 3), "*.example.com");
	subject_cn(x, cn, sizeof(cn));
	assert_string_equal(cn, "Example.COM");
	GENERAL_NAMES_free(names);
	X509_free(x);
}

static void test_serials_differ(void **state)
{
	struct fixture *f = *state;
	const char *sans[] = {"example.com"};
	X509 *a = sign(f, sans, 1, NULL);
	X509 *b = sign(f, sans, 1, NULL);

	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
			     0);
	X509_free(a);
	X509_free(b);
}

static void expect_refused(struct fixture *f, const char *const *sans, size_t n, int code)
{
	uint8_t *der = (uint8_t *)"x";
	size_t dlen = 99;

	assert_int_equal(ca_sign_leaf(&f->s, f->pub, sans, n, NULL, &der, &dlen), code);
	assert_null(der);
	assert_int_equal(dlen, 0);
	assert_null(ERR_peek_error());
}

static void expect_key_refused(const uint8_t *spki, size_t len)
{
	X509_PUBKEY *pub = (X509_PUBKEY *)1;

	assert_int_equal(ca_leaf_key_parse(spki, len, &pub), -EINVAL);
	assert_null(pub);
	assert_null(ERR_peek_error());
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	const char *one[] = {"example.com"};
	const char *none[] = {"", NULL, "bad name"};
	const char *many[CERTS_MAX_SANS + 1];
	uint8_t garbage[91];
	uint8_t *trailing = xmalloc(f->spki_len + 1);
	uint8_t *der = NULL;
	size_t len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++)
		garbage[i] = (uint8_t)(i * 37 + 11);
	memcpy(trailing, f->spki, f->spki_len);
	trailing[f->spki_len] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = "example.com";
	expect_key_refused(garbage, sizeof(garbage));
	expect_key_refused(trailing, f->spki_len + 1);
	expect_key_refused(f->spki, f->spki_len - 1);
	expect_key_refused(NULL, 0);
	expect_key_refused(f->spki, 0);
	expect_refused(f, none, ARRAY_SIZE(none), -EINVAL);
	expect_refused(f, one, 0, -EINVAL);
	expect_refused(f, NULL, 1, -EINVAL);
	expect_refused(f, many, ARRAY_SIZE(many), -E2BIG);
	assert_int_equal(ca_sign_leaf(&f->s, NULL, one, 1, NULL, &der, &len), -EINVAL);
	assert_null(der);
	X509_free(sign(f, many, CERTS_MAX_SANS, NULL)); /* the limit itself is fine */
	free(trailing);
}

/* Wildcards only as the whole leftmost label over two or more labels. */
static void test_wildcards(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    "*",
	    "*.",
	    "*.com",
	    "a*b.example.com",
	    "*.*.example.com",
	    "x.*.example.com",
	    "*x.example.com",
	    "example.*",
	    "**.example.com",
	    ".example.com",
	    "example..com",
	    "example.com.",
	    "*.com.",
	    "ex ample.com",
	    "-",
	};
	static const char *const good[] = {"*.example.com", "*.a.b.c", "a.com", "localhost",
					   "_srv.example.com"};
	char label64[80];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_false(certs_dns_name_ok(bad[i], strlen(bad[i])));
		expect_refused(f, &bad[i], 1, -EINVAL);
	}
	memset(label64, 'l', 64);
	snprintf(label64 + 64, sizeof(label64) - 64, ".com");
	assert_false(certs_dns_name_ok(label64, strlen(label64)));
	assert_true(certs_dns_name_ok(label64 + 1, strlen(label64 + 1)));
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		X509 *x = sign(f, &good[i], 1, NULL);

		assert_true(certs_dns_name_ok(good[i], strlen(good[i])));
		assert_int_equal(verify_chain(f, x), 1);
		X509_free(x);
	}
	/* A bad name among good ones is dropped, the rest signed. */
	{
		const char *mixed[] = {"*", "ok.example.com", "*.com", "a*b.example.com"};
		X509 *x = sign(f, mixed, ARRAY_SIZE(mixed), NULL);
		GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);

		assert_int_equal(sk_GENERAL_NAME_num(names), 1);
		expect_dns(sk_GENERAL_NAME_value(names, 0), "ok.example.com");
		GENERAL_NAMES_free(names);
		X509_free(x);
	}
}

/* Key types: RSA 2048..8192 and EC P-256/P-384; nothing else. */
static void test_key_types(void **state)
{
	static const struct {
		const char *alg, *param;
		bool ok;
	} keys[] = {
	    {"RSA", "1024", false},	{"EC", "P-384", true},	  {"EC", "P-521", false},
	    {"EC", "secp256k1", false}, {"ED25519", NULL, false}, {"X25519", NULL, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		EVP_PKEY *k =
		    keys[i].param == NULL ? EVP_PKEY_Q_keygen(NULL, NULL, keys[i].alg)
		    : strcmp(keys[i].alg, "RSA") == 0
			? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(keys[i].param))
			: EVP_PKEY_Q_keygen(NULL, NULL, "EC", keys[i].param);
		X509_PUBKEY *pub = NULL;
		uint8_t *spki;
		size_t len;

		assert_non_null(k);
		assert_int_equal(leaf_key_spki(k, &spki, &len), 0);
		assert_int_equal(ca_leaf_key_parse(spki, len, &pub), keys[i].ok ? 0 : -EINVAL);
		assert_true((pub != NULL) == keys[i].ok);
		X509_PUBKEY_free(pub);
		free(spki);
		EVP_PKEY_free(k);
	}
	(void)state;
}

static void test_rsa_leaf_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *rsa = leaf_key_generate(1);
	const char *sans[] = {"rsa.example"};
	uint8_t *spki, *der;
	size_t spki_len, len;
	const unsigned char *p;
	X509_PUBKEY *pub = NULL;
	EVP_PKEY *back;
	X509 *x;

	assert_non_null(rsa);
	assert_int_equal(EVP_PKEY_get_base_id(rsa), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(rsa), 2048);
	assert_int_equal(leaf_key_spki(rsa, &spki, &spki_len), 0);
	p = spki;
	back = d2i_PUBKEY(NULL, &p, (long)spki_len);
	assert_int_equal(EVP_PKEY_eq(back, rsa), 1);
	assert_int_equal(ca_leaf_key_parse(spki, spki_len, &pub), 0);
	assert_int_equal(ca_sign_leaf(&f->s, pub, sans, 1, NULL, &der, &len), 0);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), rsa), 1);
	assert_int_equal(verify_chain(f, x), 1);
	expect_end_entity(x, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	X509_PUBKEY_free(pub);
	X509_free(x);
	free(der);
	free(spki);
	EVP_PKEY_free(back);
	EVP_PKEY_free(rsa);
}

static void test_ec_leaf_key(void **state)
{
	struct fixture *f = *state;
	char group[32];
	size_t glen;

	assert_int_equal(EVP_PKEY_get_base_id(f->leaf), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_group_name(f->leaf, group, sizeof(group), &glen), 1);
	assert_string_equal(group, "prime256v1");
	assert_int_equal(leaf_key_spki(NULL, &f->spki, &glen), -EINVAL);
	assert_non_null(f->spki); /* untouched on a refused call */
}

/* CPU time, so that a busy machine does not inflate the numbers. */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The floor: one bare SHA-256 signature with the CA key. */
static double bare_sign_us(struct fixture *f)
{
	unsigned char sig[1024];
	double start = cpu_us();

	for (int i = 0; i < BENCH_N; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		size_t len = sizeof(sig);

		assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, f->s.key), 1);
		assert_int_equal(EVP_DigestSign(md, sig, &len, f->spki, f->spki_len), 1);
		EVP_MD_CTX_free(md);
	}
	return (cpu_us() - start) / BENCH_N;
}

static double leaf_sign_us(struct fixture *f)
{
	const char *sans[] = {"www.example.com", "example.com", "93.184.216.34"};
	double start = cpu_us();

	for (int i = 0; i < BENCH_N; i++) {
		uint8_t *der = NULL;
		size_t len = 0;

		assert_int_equal(ca_sign_leaf(&f->s, f->pub, sans, 3, NULL, &der, &len), 0);
		assert_true(len > 300);
		free(der);
	}
	return (cpu_us() - start) / BENCH_N;
}

static void test_sign_timing(void **state)
{
	struct fixture *f = *state;
	double leaf = leaf_sign_us(f), bare = bare_sign_us(f);

	print_message("ca_sign_leaf: %.1f us CPU per leaf; a bare RSA-%d signature: %.1f us "
		      "(%d each)\n",
		      leaf, EVP_PKEY_get_bits(f->s.key), bare, BENCH_N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf_fields),
	    cmocka_unit_test(test_chain_verifies),
	    cmocka_unit_test(test_long_name_no_cn_critical_san),
	    cmocka_unit_test(test_cn_boundary_63),
	    cmocka_unit_test(test_org_and_ip_cn),
	    cmocka_unit_test(test_dedup_normalises),
	    cmocka_unit_test(test_serials_differ),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_rsa_leaf_key),
	    cmocka_unit_test(test_ec_leaf_key),
	    cmocka_unit_test(test_wildcards),
	    cmocka_unit_test(test_key_types),
	    cmocka_unit_test(test_sign_timing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
