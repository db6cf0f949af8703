/* Unit tests for the CA store (ca process): creating the CA and its files in a
 * temp conf dir, reloading, regenerating derived files, and every refusal
 * (mismatched key, non-CA cert, expired CA, encrypted key, bad paths). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "certs/certs.h"

#define DAY (24L * 60 * 60)

struct fixture {
	char root[64];	   /* mkdtemp dir */
	char conf[128];	   /* root/conf: created by the store */
	struct ca_store s; /* the CA created in conf */
};

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char *path = path_in(dir, name);
	FILE *f = fopen(path, "rb");
	uint8_t *buf = xmalloc((1 << 20) + 1);

	assert_non_null(f);
	*len = fread(buf, 1, 1 << 20, f);
	buf[*len] = '\0';
	fclose(f);
	free(path);
	return buf;
}

static void spit(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = path_in(dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), 0600), 0); /* a key file is refused otherwise */
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char *path = path_in(dir, name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
	return st.st_mode & 07777;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = path_in(dir, e->d_name);
		if (e->d_type == DT_DIR)
			rm_tree(path);
		else
			unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char err[256];

	umask(022);
	snprintf(f->root, sizeof(f->root), "/tmp/snare-certs-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->conf, sizeof(f->conf), "%s/conf", f->root);
	assert_int_equal(ca_store_load_or_create(f->conf, 2048, &f->s, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ca_store_free(&f->s);
	rm_tree(f->root);
	free(f);
	return 0;
}

/* A fresh dir holding one snare-ca.pem made of the given key and cert. */
static char *conf_with(const struct fixture *f, const char *name, EVP_PKEY *key, X509 *cert)
{
	char *dir = path_in(f->root, name);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	assert_int_equal(mkdir(dir, 0700), 0);
	if (key != NULL)
		assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	if (cert != NULL)
		assert_int_equal(PEM_write_bio_X509(bio, cert), 1);
	len = BIO_get_mem_data(bio, &data);
	spit(dir, "snare-ca.pem", data, (size_t)len);
	BIO_free(bio);
	return dir;
}

static void add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A self-signed cert for key; a CA one when ca, valid from..to days. */
static X509 *self_signed(EVP_PKEY *key, int ca, long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);

	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from * DAY));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to * DAY));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"test", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	if (ca) {
		add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, NID_subject_key_identifier, "hash");
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static long secs_from_now(const ASN1_TIME *t)
{
	int days, secs;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
	return days * DAY + secs;
}

static void test_conf_dir_and_modes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mode_of(f->root, "conf"), 0700);
	assert_int_equal(mode_of(f->conf, "snare-ca.pem"), 0600);
	assert_int_equal(mode_of(f->conf, "snare-ca.p12"), 0600);
	assert_int_equal(mode_of(f->conf, "snare-ca-cert.pem"), 0644);
	assert_int_equal(mode_of(f->conf, "snare-ca-cert.cer"), 0644);
	assert_int_equal(mode_of(f->conf, "snare-ca-cert.p12"), 0644);
}

static void test_no_temp_files_left(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->conf);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		assert_null(strstr(e->d_name, ".tmp"));
		n++;
	}
	closedir(d);
	assert_int_equal(n, 5);
}

static void test_cert_files_match_memory(void **state)
{
	struct fixture *f = *state;
	size_t pemlen, cerlen, p12len;
	uint8_t *pem = slurp(f->conf, "snare-ca-cert.pem", &pemlen);
	uint8_t *cer = slurp(f->conf, "snare-ca-cert.cer", &cerlen);
	uint8_t *p12 = slurp(f->conf, "snare-ca-cert.p12", &p12len);
	const unsigned char *p = f->s.cert_der;
	X509 *der = d2i_X509(NULL, &p, (long)f->s.cert_der_len);

	assert_memory_equal(pem, cer, pemlen);
	assert_int_equal(pemlen, cerlen);
	assert_int_equal(pemlen, f->s.cert_pem_len);
	assert_memory_equal(pem, f->s.cert_pem, pemlen);
	assert_int_equal(p12len, f->s.cert_p12_len);
	assert_memory_equal(p12, f->s.cert_p12, p12len);
	assert_non_null(der);
	assert_int_equal(X509_cmp(der, f->s.cert), 0);
	assert_non_null(strstr((char *)pem, "-----BEGIN CERTIFICATE-----"));
	X509_free(der);
	free(pem);
	free(cer);
	free(p12);
}

static void test_ca_cert_fields(void **state)
{
	struct fixture *f = *state;
	X509 *x = f->s.cert;
	char buf[128];
	int crit;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);

	X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
	assert_string_equal(buf, "/CN=snare/O=snare");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(EVP_PKEY_get_base_id(f->s.key), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(f->s.key), 2048);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_null(bc->pathlen);
	assert_int_equal(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_true(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER); /* positive */
	assert_int_equal(ASN1_STRING_length(serial), 16);
	assert_true(labs(secs_from_now(X509_get0_notBefore(x)) + 2 * DAY) < 120);
	assert_true(labs(secs_from_now(X509_get0_notAfter(x)) - 3650 * DAY) < 120);
	assert_int_equal(X509_verify(x, f->s.key), 1);
}

static void test_reload_gives_same_ca(void **state)
{
	struct fixture *f = *state;
	struct ca_store again;
	char err[256];

	assert_int_equal(ca_store_load_or_create(f->conf, 2048, &again, err, sizeof(err)), 0);
	assert_int_equal(X509_cmp(again.cert, f->s.cert), 0);
	assert_int_equal(EVP_PKEY_eq(again.key, f->s.key), 1);
	assert_int_equal(again.cert_der_len, f->s.cert_der_len);
	assert_memory_equal(again.cert_der, f->s.cert_der, f->s.cert_der_len);
	assert_memory_equal(again.cert_pem, f->s.cert_pem, f->s.cert_pem_len);
	ca_store_free(&again);
	assert_null(again.key);
}

static PKCS12 *p12_load(const char *dir, const char *name)
{
	size_t len;
	uint8_t *buf = slurp(dir, name, &len);
	const unsigned char *p = buf;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);

	assert_non_null(p12);
	assert_ptr_equal(p, buf + len);
	free(buf);
	return p12;
}

static void test_cert_p12_has_no_key(void **state)
{
	struct fixture *f = *state;
	PKCS12 *p12 = p12_load(f->conf, "snare-ca-cert.p12");
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	X509 *found;

	assert_int_equal(PKCS12_parse(p12, NULL, &key, &cert, &ca), 1);
	assert_null(key);
	/* With no key, OpenSSL returns the lone cert in the extra-certs list. */
	found = cert != NULL ? cert : sk_X509_value(ca, 0);
	assert_int_equal((cert != NULL) + sk_X509_num(ca), 1);
	assert_int_equal(X509_cmp(found, f->s.cert), 0);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
}

static void test_key_p12_has_key(void **state)
{
	struct fixture *f = *state;
	PKCS12 *p12 = p12_load(f->conf, "snare-ca.p12");
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;

	assert_int_equal(PKCS12_parse(p12, "", &key, &cert, &ca), 1);
	assert_non_null(key);
	assert_non_null(cert);
	assert_int_equal(EVP_PKEY_eq(key, f->s.key), 1);
	assert_int_equal(X509_cmp(cert, f->s.cert), 0);
	assert_true(ca == NULL || sk_X509_num(ca) == 0);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
}

static void test_key_pem_holds_key_then_cert(void **state)
{
	struct fixture *f = *state;
	size_t len;
	uint8_t *buf = slurp(f->conf, "snare-ca.pem", &len);
	char *key, *cert;

	key = strstr((char *)buf, "-----BEGIN PRIVATE KEY-----");
	cert = strstr((char *)buf, "-----BEGIN CERTIFICATE-----");
	assert_non_null(key);
	assert_non_null(cert);
	assert_true(key < cert);
	free(buf);
}

static void test_derived_files_regenerated(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {"snare-ca-cert.pem", "snare-ca-cert.cer",
					    "snare-ca-cert.p12", "snare-ca.p12"};
	struct ca_store again;
	char err[256];
	size_t len;
	uint8_t *cer;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = path_in(f->conf, names[i]);

		assert_int_equal(unlink(path), 0);
		free(path);
	}
	spit(f->conf, "snare-ca-cert.cer", "stale", 5);
	assert_int_equal(ca_store_load_or_create(f->conf, 2048, &again, err, sizeof(err)), 0);
	assert_int_equal(X509_cmp(again.cert, f->s.cert), 0);
	test_conf_dir_and_modes(state);
	cer = slurp(f->conf, "snare-ca-cert.cer", &len);
	assert_int_equal(len, f->s.cert_pem_len);
	assert_memory_equal(cer, f->s.cert_pem, len);
	free(cer);
	ca_store_free(&again);
	test_key_p12_has_key(state);
	test_cert_p12_has_no_key(state);
}

/* Loading dir must fail with code and an error line holding each needle. */
static void expect_load_error(const char *dir, int code, const char *needle)
{
	struct ca_store s;
	char err[512];

	assert_int_equal(ca_store_load_or_create(dir, 2048, &s, err, sizeof(err)), code);
	assert_null(s.key);
	assert_null(s.cert);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n')); /* one line */
	assert_null(ERR_peek_error());
}

static void test_mismatched_key_refused(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *other = EVP_EC_gen("P-256");
	X509 *cert = self_signed(other, 1, 0, 30);
	char *dir = conf_with(f, "mismatch", f->s.key, cert);
	char *want = path_in(dir, "snare-ca.pem");

	expect_load_error(dir, -EKEYREJECTED, want);
	expect_load_error(dir, -EKEYREJECTED, "does not match");
	free(want);
	free(dir);
	X509_free(cert);
	EVP_PKEY_free(other);
}

static void test_ec_ca_accepted(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = self_signed(key, 1, -1, 30);
	char *dir = conf_with(f, "ec", key, cert);
	struct ca_store s;
	char err[256];

	assert_int_equal(ca_store_load_or_create(dir, 2048, &s, err, sizeof(err)), 0);
	assert_int_equal(X509_cmp(s.cert, cert), 0);
	assert_int_equal(mode_of(dir, "snare-ca.p12"), 0600);
	ca_store_free(&s);
	free(dir);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_non_ca_refused(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = self_signed(key, 0, 0, 30);
	char *dir = conf_with(f, "notca", key, cert);

	expect_load_error(dir, -EKEYREJECTED, "not a CA");
	free(dir);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_expired_ca_refused(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = self_signed(key, 1, -30, -1);
	char *dir = conf_with(f, "expired", key, cert);

	expect_load_error(dir, -EKEYEXPIRED, "delete the snare-ca* files");
	free(dir);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_missing_cert_or_key_refused(void **state)
{
	struct fixture *f = *state;
	char *nocert = conf_with(f, "nocert", f->s.key, NULL);
	char *nokey = conf_with(f, "nokey", NULL, f->s.cert);
	char *junk = path_in(f->root, "junk");

	expect_load_error(nocert, -EBADMSG, "no certificate");
	expect_load_error(nokey, -EBADMSG, "no usable private key");
	assert_int_equal(mkdir(junk, 0700), 0);
	spit(junk, "snare-ca.pem", "garbage\n", 8);
	expect_load_error(junk, -EBADMSG, "snare-ca.pem");
	free(nocert);
	free(nokey);
	free(junk);
}

static void test_encrypted_key_refused(void **state)
{
	struct fixture *f = *state;
	BIO *bio = BIO_new(BIO_s_mem());
	char *dir = path_in(f->root, "encrypted");
	char *data;
	long len;

	assert_int_equal(PEM_write_bio_PrivateKey(bio, f->s.key, EVP_aes_128_cbc(),
						  (unsigned char *)"pw", 2, NULL, NULL),
			 1);
	assert_int_equal(PEM_write_bio_X509(bio, f->s.cert), 1);
	len = BIO_get_mem_data(bio, &data);
	assert_int_equal(mkdir(dir, 0700), 0);
	spit(dir, "snare-ca.pem", data, (size_t)len);
	expect_load_error(dir, -EBADMSG, "encrypted keys are not supported");
	BIO_free(bio);
	free(dir);
}

static void test_bad_arguments_and_paths(void **state)
{
	struct fixture *f = *state;
	char *deep = xasprintf("%s/no/such", f->root);
	char *file = path_in(f->conf, "snare-ca-cert.pem");
	struct ca_store s;
	char err[256];

	assert_int_equal(ca_store_load_or_create(f->conf, 512, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key size"));
	/* Missing parents are created (mkdir -p), like mitmproxy's conf dir. */
	assert_int_equal(ca_store_load_or_create(deep, 2048, &s, err, sizeof(err)), 0);
	ca_store_free(&s);
	expect_load_error(file, -ENOTDIR, "conf dir");
	assert_int_equal(ca_store_load_or_create(NULL, 2048, &s, NULL, 0), -EINVAL);
	free(deep);
	free(file);
}

/* The key file: a symlink, a group- or world-readable file and (as root)
 * someone else's file are refused with the file and the fix named; the same
 * file with mode 0600 loads.  A conf dir others may write to is refused. */
static void test_key_file_permissions(void **state)
{
	struct fixture *f = *state;
	char *key = path_in(f->conf, "snare-ca.pem");
	char *other = xasprintf("%s/elsewhere.pem", f->root);
	char *line = xasprintf("run: chmod 600 %s", key);
	char *dirfix = xasprintf("run: chmod go-w %s", f->conf);
	struct ca_store s;
	char err[512];

	assert_int_equal(ca_store_load_or_create(f->conf, 2048, &s, err, sizeof(err)), 0);
	ca_store_free(&s);
	assert_int_equal(chmod(key, 0640), 0);
	expect_load_error(f->conf, -EPERM, line);
	assert_int_equal(chmod(key, 0604), 0);
	expect_load_error(f->conf, -EPERM, line);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(chmod(f->conf, 0770), 0);
	expect_load_error(f->conf, -EPERM, dirfix);
	assert_int_equal(chmod(f->conf, 0702), 0);
	expect_load_error(f->conf, -EPERM, dirfix);
	assert_int_equal(chmod(f->conf, 0755), 0); /* readable is fine, writable is not */
	assert_int_equal(ca_store_load_or_create(f->conf, 2048, &s, err, sizeof(err)), 0);
	ca_store_free(&s);
	assert_int_equal(chmod(f->conf, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(key, 65534, 65534), 0);
		expect_load_error(f->conf, -EPERM, "owned by uid 65534");
		assert_int_equal(chown(key, 0, 0), 0);
	}
	assert_int_equal(rename(key, other), 0);
	assert_int_equal(symlink(other, key), 0);
	expect_load_error(f->conf, -ELOOP, "symbolic link");
	assert_int_equal(unlink(key), 0);
	assert_int_equal(rename(other, key), 0);
	assert_int_equal(ca_store_load_or_create(f->conf, 2048, &s, err, sizeof(err)), 0);
	ca_store_free(&s);
	free(key);
	free(other);
	free(line);
	free(dirfix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conf_dir_and_modes),
	    cmocka_unit_test(test_no_temp_files_left),
	    cmocka_unit_test(test_cert_files_match_memory),
	    cmocka_unit_test(test_ca_cert_fields),
	    cmocka_unit_test(test_reload_gives_same_ca),
	    cmocka_unit_test(test_cert_p12_has_no_key),
	    cmocka_unit_test(test_key_p12_has_key),
	    cmocka_unit_test(test_key_pem_holds_key_then_cert),
	    cmocka_unit_test(test_derived_files_regenerated),
	    cmocka_unit_test(test_mismatched_key_refused),
	    cmocka_unit_test(test_ec_ca_accepted),
	    cmocka_unit_test(test_non_ca_refused),
	    cmocka_unit_test(test_expired_ca_refused),
	    cmocka_unit_test(test_missing_cert_or_key_refused),
	    cmocka_unit_test(test_encrypted_key_refused),
	    cmocka_unit_test(test_bad_arguments_and_paths),
	    cmocka_unit_test(test_key_file_permissions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
