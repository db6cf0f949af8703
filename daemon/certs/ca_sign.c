/* Runs in the ca process, which holds the CA key.  Signs leaf certificates on
 * request from workers: the public key (parsed once, when a worker registers
 * it), SAN strings and org come from a worker and are not trusted, so they
 * are parsed and bounded here before anything is signed.  A leaf is an end
 * entity for TLS servers only: CA:FALSE, a key usage that fits its key, EKU
 * serverAuth, a few days of validity.  On the handshake path: no PEM, no
 * config. */
#include "certs/certs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CN_MAX_LEN 63 /* ub_common_name is 64: the CN must be shorter */
#define SAN_MAX_LEN 253
#define LABEL_MAX_LEN 63
#define SPKI_MAX_LEN 16384
#define LEAF_RSA_MIN_BITS 2048
#define LEAF_RSA_MAX_BITS 8192

struct san {
	int type; /* GEN_DNS or GEN_IPADD */
	const char *text;
	size_t len; /* of text (GEN_DNS) or of ip (GEN_IPADD) */
	unsigned char ip[16];
};

int certs_x509_init(X509 *x, long back_secs, long days)
{
	unsigned char raw[16];
	BIGNUM *bn = NULL;
	time_t now = time(NULL);
	int rc = -EIO;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	raw[0] &= 0x7f; /* positive: no sign octet, 16 content octets */
	raw[0] |= 0x40; /* never zero and never shorter */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, -back_secs, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL)
		goto out;
	rc = 0;
out:
	BN_free(bn);
	return rc;
}

static bool dns_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Host names as they go on the wire (IDNA already applied by the caller):
 * labels of 1..63 letters, digits, '-' (not first or last) and '_'.  A wildcard is the whole
 * leftmost label "*" followed by at least two more labels, so "*", "*.com",
 * "a*b.example.com" and "*.*.example.com" are refused (RFC 6125 6.4.3 and
 * what browsers match; a public suffix such as "*.co.uk" is not detected). */
bool certs_dns_name_ok(const char *s, size_t len)
{
	size_t labels = 0, i = 0;
	bool wildcard = len >= 2 && s[0] == '*' && s[1] == '.';

	if (wildcard)
		i = 2;
	while (i < len) {
		size_t start = i;

		while (i < len && s[i] != '.') {
			if (!dns_char_ok((unsigned char)s[i]))
				return false;
			i++;
		}
		if (i == start || i - start > LABEL_MAX_LEN || s[start] == '-' || s[i - 1] == '-')
			return false; /* empty ("..", a leading dot), too long, -x or x- */
		labels++;
		if (i < len && ++i == len)
			return false; /* a trailing dot */
	}
	return labels >= (wildcard ? 2u : 1u);
}

static int san_parse(const char *text, struct san *out)
{
	size_t len = strnlen(text, SAN_MAX_LEN + 1);

	if (len == 0 || len > SAN_MAX_LEN)
		return -EINVAL;
	out->text = text;
	if (inet_pton(AF_INET, text, out->ip) == 1) {
		out->type = GEN_IPADD;
		out->len = 4;
	} else if (inet_pton(AF_INET6, text, out->ip) == 1) {
		out->type = GEN_IPADD;
		out->len = 16;
	} else if (certs_dns_name_ok(text, len)) {
		out->type = GEN_DNS;
		out->len = len;
	} else {
		return -EINVAL;
	}
	return 0;
}

static bool san_same(const struct san *a, const struct san *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	if (a->type == GEN_IPADD)
		return memcmp(a->ip, b->ip, a->len) == 0;
	return strncasecmp(a->text, b->text, a->len) == 0;
}

/* Keeps the order; drops empty, malformed and duplicate names. */
static int sans_collect(const char *const *in, size_t n, struct san *out, size_t *nout)
{
	*nout = 0;
	if (n > CERTS_MAX_SANS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		struct san cur;
		bool dup = false;

		if (in[i] == NULL || san_parse(in[i], &cur) < 0)
			continue;
		for (size_t j = 0; j < *nout && !dup; j++)
			dup = san_same(&out[j], &cur);
		if (!dup)
			out[(*nout)++] = cur;
	}
	return *nout > 0 ? 0 : -EINVAL;
}

static GENERAL_NAMES *sans_to_names(const struct san *sans, size_t n)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();

	for (size_t i = 0; names != NULL && i < n; i++) {
		const struct san *s = &sans[i];
		bool dns = s->type == GEN_DNS;
		ASN1_STRING *str =
		    ASN1_STRING_type_new(dns ? V_ASN1_IA5STRING : V_ASN1_OCTET_STRING);
		GENERAL_NAME *gn = GENERAL_NAME_new();

		if (str == NULL || gn == NULL ||
		    !ASN1_STRING_set(str, dns ? (const void *)s->text : s->ip, (int)s->len)) {
			ASN1_STRING_free(str);
			GENERAL_NAME_free(gn);
			GENERAL_NAMES_free(names);
			return NULL;
		}
		GENERAL_NAME_set0_value(gn, s->type, str);
		if (!sk_GENERAL_NAME_push(names, gn)) {
			GENERAL_NAME_free(gn);
			GENERAL_NAMES_free(names);
			return NULL;
		}
	}
	return names;
}

/* CN = the first SAN when short enough; O = org when it is a valid one
 * (else left out: it is cosmetic and comes from the upstream cert). */
static int leaf_set_subject(X509 *x, const struct san *first, const char *org)
{
	X509_NAME *name = X509_get_subject_name(x);
	size_t len = strlen(first->text);

	if (len <= CN_MAX_LEN &&
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)first->text, (int)len, -1, 0))
		return -EIO;
	if (org != NULL && org[0] != '\0' && strnlen(org, 65) <= 64) {
		ERR_set_mark();
		if (!X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
						(const unsigned char *)org, -1, -1, 0))
			ERR_pop_to_mark();
		else
			ERR_clear_last_mark();
	}
	return 0;
}

static int leaf_add_eku(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	int ok;

	ok = eku != NULL && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) &&
	     X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_APPEND) == 1;
	sk_ASN1_OBJECT_free(eku); /* OBJ_nid2obj objects are static */
	return ok ? 0 : -EIO;
}

static int leaf_add_akid(X509 *x, X509 *ca)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	AUTHORITY_KEYID *akid;
	int ok;

	if (ski == NULL)
		return 0; /* a custom CA without SKI: no AKI either */
	akid = AUTHORITY_KEYID_new();
	ok = akid != NULL && (akid->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
	     X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_APPEND) == 1;
	AUTHORITY_KEYID_free(akid);
	return ok ? 0 : -EIO;
}

/* basicConstraints CA:FALSE, critical: an end entity, whatever a verifier
 * assumes for a v3 certificate without the extension. */
static int leaf_add_basic_constraints(X509 *x)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int ok;

	ok = bc != NULL &&
	     X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_APPEND) == 1;
	BASIC_CONSTRAINTS_free(bc); /* ca = FALSE, no path length */
	return ok ? 0 : -EIO;
}

/* keyUsage, critical: digitalSignature for every key (TLS 1.3, ECDHE);
 * keyEncipherment only for RSA (TLS 1.2 RSA key exchange). */
static int leaf_add_key_usage(X509 *x, bool rsa)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int ok;

	ok = ku != NULL && ASN1_BIT_STRING_set_bit(ku, 0, 1) && /* digitalSignature */
	     (!rsa || ASN1_BIT_STRING_set_bit(ku, 2, 1)) &&	/* keyEncipherment */
	     X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_APPEND) == 1;
	ASN1_BIT_STRING_free(ku);
	return ok ? 0 : -EIO;
}

static int leaf_add_exts(X509 *x, X509 *ca, const struct san *sans, size_t nsans, bool crit,
			 bool rsa)
{
	GENERAL_NAMES *names = sans_to_names(sans, nsans);
	int rc = -EIO;

	if (names == NULL || leaf_add_basic_constraints(x) < 0 || leaf_add_key_usage(x, rsa) < 0 ||
	    X509_add1_ext_i2d(x, NID_subject_alt_name, names, crit, X509V3_ADD_APPEND) != 1)
		goto out;
	rc = leaf_add_eku(x);
	if (rc == 0)
		rc = leaf_add_akid(x, ca);
out:
	GENERAL_NAMES_free(names);
	return rc;
}

/* The key types a browser takes for a TLS server: RSA of 2048..8192 bits,
 * EC on P-256 or P-384. */
static bool leaf_key_type_ok(const EVP_PKEY *key)
{
	char group[32];
	size_t glen = 0;
	int bits = EVP_PKEY_get_bits(key);

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		return bits >= LEAF_RSA_MIN_BITS && bits <= LEAF_RSA_MAX_BITS;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1)
			return false;
		return strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0;
	default:
		return false;
	}
}

int ca_leaf_key_parse(const uint8_t *der, size_t len, X509_PUBKEY **out)
{
	const unsigned char *p = der;
	X509_PUBKEY *pub;
	EVP_PKEY *key;

	*out = NULL;
	if (der == NULL || len == 0 || len > SPKI_MAX_LEN)
		return -EINVAL;
	pub = d2i_X509_PUBKEY(NULL, &p, (long)len);
	key = pub != NULL && p == der + len ? X509_PUBKEY_get0(pub) : NULL;
	if (key == NULL || !leaf_key_type_ok(key)) {
		X509_PUBKEY_free(pub);
		ERR_clear_error();
		return -EINVAL;
	}
	*out = pub;
	return 0;
}

/* A copy of an AlgorithmIdentifier parameter as X509_ALGOR_set0 takes it. */
static int param_dup(int ptype, const void *pval, void **out)
{
	*out = NULL;
	switch (ptype) {
	case V_ASN1_UNDEF:
	case V_ASN1_NULL:
		return 0;
	case V_ASN1_OBJECT:
		*out = OBJ_dup(pval);
		break;
	case V_ASN1_SEQUENCE:
		*out = ASN1_STRING_dup(pval);
		break;
	default:
		return -EINVAL;
	}
	return *out != NULL ? 0 : -EIO;
}

static void param_free(int ptype, void *param)
{
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(param);
	else if (ptype == V_ASN1_SEQUENCE)
		ASN1_STRING_free(param);
}

/* Copies the SPKI fields into the leaf as they are: X509_set_pubkey would
 * re-encode the key through the provider encoders, slowly. */
static int leaf_set_pubkey(X509 *x, const X509_PUBKEY *pub)
{
	ASN1_OBJECT *alg, *obj;
	const ASN1_OBJECT *aobj;
	const unsigned char *bits;
	unsigned char *bits_copy;
	X509_ALGOR *algor;
	const void *pval;
	void *param;
	int nbits, ptype;

	if (!X509_PUBKEY_get0_param(&alg, &bits, &nbits, &algor, pub) || nbits <= 0)
		return -EINVAL;
	X509_ALGOR_get0(&aobj, &ptype, &pval, algor);
	if (param_dup(ptype, pval, &param) < 0)
		return -EINVAL;
	obj = OBJ_dup(aobj);
	bits_copy = OPENSSL_memdup(bits, (size_t)nbits);
	if (obj != NULL && bits_copy != NULL &&
	    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), obj, ptype, param, bits_copy, nbits))
		return 0;
	ASN1_OBJECT_free(obj);
	OPENSSL_free(bits_copy);
	param_free(ptype, param);
	return -EIO;
}

static int der_encode(X509 *x, uint8_t **der_out, size_t *der_len)
{
	int len = i2d_X509(x, NULL);
	unsigned char *p;

	if (len <= 0)
		return -EIO;
	*der_out = xmalloc((size_t)len);
	p = *der_out;
	if (i2d_X509(x, &p) != len) {
		free(*der_out);
		*der_out = NULL;
		return -EIO;
	}
	*der_len = (size_t)len;
	return 0;
}

int ca_sign_leaf(const struct ca_store *s, const X509_PUBKEY *pub, const char *const *sans,
		 size_t nsans, const char *org, uint8_t **der_out, size_t *der_len)
{
	struct san list[CERTS_MAX_SANS];
	X509 *x = NULL;
	bool rsa;
	size_t n;
	int rc = -EINVAL;

	if (der_out == NULL || der_len == NULL)
		return -EINVAL;
	*der_out = NULL;
	*der_len = 0;
	if (s == NULL || s->cert == NULL || s->key == NULL || pub == NULL ||
	    (sans == NULL && nsans > 0))
		return -EINVAL;
	rc = sans_collect(sans, nsans, list, &n);
	if (rc < 0)
		goto out;
	rsa = EVP_PKEY_get_base_id(X509_PUBKEY_get0(pub)) == EVP_PKEY_RSA;
	rc = -EIO;
	x = X509_new();
	if (x == NULL || certs_x509_init(x, CERTS_LEAF_BACKDATE_SECS, CERTS_LEAF_DAYS) < 0 ||
	    !X509_set_issuer_name(x, X509_get_subject_name(s->cert)))
		goto out;
	rc = leaf_set_pubkey(x, pub);
	if (rc < 0)
		goto out;
	rc = -EIO;
	if (leaf_set_subject(x, &list[0], org) < 0 ||
	    leaf_add_exts(x, s->cert, list, n, strlen(list[0].text) > CN_MAX_LEN, rsa) < 0)
		goto out;
	if (X509_sign(x, s->key, EVP_sha256()) <= 0)
		goto out;
	rc = der_encode(x, der_out, der_len);
out:
	if (rc < 0)
		ERR_clear_error();
	X509_free(x);
	return rc;
}
