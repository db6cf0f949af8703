/* Certificates.  The CA half (ca_store_*, ca_sign_leaf) runs only in the ca
 * process, which holds the CA private key; the leaf-key half runs in
 * workers.  DESIGN.md §6, MODES.md §4. */
#ifndef SNARE_CERTS_CERTS_H
#define SNARE_CERTS_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/util.h"

#define CERTS_MAX_SANS 32

struct ca_sign_cache;

struct ca_store {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t *cert_der; /* DER of cert */
	size_t cert_der_len;
	uint8_t *cert_pem; /* the -cert.pem file's bytes (== .cer) */
	size_t cert_pem_len;
	uint8_t *cert_p12; /* the cert-only PKCS#12 (-cert.p12) */
	size_t cert_p12_len;
	/* Parsed worker public keys, owned; ca_sign_leaf fills it (it is
	 * mutable state behind a const store).  NULL works, only slower. */
	struct ca_sign_cache *sign_cache;
};

/* Loads <confdir>/snare-ca.pem, or creates the CA (RSA key_size bits, CN=O=
 * "snare", notBefore now-2d, 10 years, BasicConstraints CA:TRUE critical,
 * KeyUsage keyCertSign+cRLSign critical, EKU serverAuth, SKI) and writes
 * snare-ca.pem (key+cert, 0600), snare-ca.p12 (key+cert, 0600),
 * snare-ca-cert.pem, snare-ca-cert.cer (same bytes), snare-ca-cert.p12.
 * The conf dir is created 0700 when missing.  On error: negative code and
 * one line in err naming the file. */
int ca_store_load_or_create(const char *confdir, int key_size, struct ca_store *out, char *err,
			    size_t errlen) SNARE_MUST_CHECK;
void ca_store_free(struct ca_store *s);

/* Signs a leaf certificate for the public key in spki_der (DER
 * SubjectPublicKeyInfo): SANs in the order given (IP literals as iPAddress,
 * the rest as dNSName; duplicates dropped), CN = the first SAN when shorter
 * than 64 chars (else no CN and a critical SAN extension), O = org when
 * given, validity now-2d .. +199d, random serial, EKU serverAuth, AKI from
 * the CA's SKI, issuer = the CA subject, SHA-256.  *der_out is malloc'ed. */
int ca_sign_leaf(const struct ca_store *s, const uint8_t *spki_der, size_t spki_len,
		 const char *const *sans, size_t nsans, const char *org, uint8_t **der_out,
		 size_t *der_len) SNARE_MUST_CHECK;

/* Module-internal (ca process): sets version 3, a random positive 128-bit
 * serial and the validity now-2d .. now+days on a new certificate. */
int certs_x509_init(X509 *x, long days) SNARE_MUST_CHECK;
struct ca_sign_cache *ca_sign_cache_new(void);
void ca_sign_cache_free(struct ca_sign_cache *c);

/* Worker side: the leaf key made at start-up (ECDSA P-256, or RSA-2048). */
EVP_PKEY *leaf_key_generate(int rsa);
/* DER SubjectPublicKeyInfo of a key; malloc'ed. */
int leaf_key_spki(EVP_PKEY *key, uint8_t **der_out, size_t *der_len) SNARE_MUST_CHECK;

#endif
