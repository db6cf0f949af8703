/* Certificates.  The CA half (ca_store_*, ca_sign_leaf) runs only in the ca
 * process, which holds the CA private key; the leaf-key half runs in
 * workers.  See docs/architecture.md#certificates. */
#ifndef SNARE_CERTS_CERTS_H
#define SNARE_CERTS_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/util.h"

#define CERTS_MAX_SANS 32

/* Leaf validity.  Leaves are only ever needed while snare runs, yet stay
 * usable wherever the snare CA is trusted until they expire, so they live
 * days, not months: browsers accept any validity shorter than their maximum
 * (398 days for public CAs, 825 for Apple's user-installed ones; the CA/B
 * Forum schedule takes public leaves to 47 days by 2029), so 7 days is
 * always accepted.  notBefore is one day back: a client whose clock runs
 * behind (a wrong time zone on an RTC kept in local time is up to 14 hours)
 * still takes a new leaf, and backdating does not extend how long a leaf
 * stays usable.  Workers ask for a new leaf CERTS_LEAF_REFRESH_SECS before
 * notAfter and stop serving one CERTS_LEAF_MIN_LEFT_SECS before it, so a
 * served leaf has days left for clients whose clocks run ahead. */
#define CERTS_LEAF_DAYS 7
#define CERTS_LEAF_BACKDATE_SECS (24L * 60 * 60)
#define CERTS_LEAF_REFRESH_SECS (3L * 24 * 60 * 60)
#define CERTS_LEAF_MIN_LEFT_SECS (24L * 60 * 60)

struct ca_store {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t *cert_der; /* DER of cert */
	size_t cert_der_len;
	uint8_t *cert_pem; /* the -cert.pem file's bytes (== .cer) */
	size_t cert_pem_len;
	uint8_t *cert_p12; /* the cert-only PKCS#12 (-cert.p12) */
	size_t cert_p12_len;
};

/* Loads <confdir>/snare-ca.pem, or creates the CA (RSA key_size bits, CN=O=
 * "snare", notBefore now-2d, 10 years, BasicConstraints CA:TRUE critical,
 * KeyUsage keyCertSign+cRLSign critical, EKU serverAuth, SKI) and writes
 * snare-ca.pem (key+cert, 0600), snare-ca.p12 (key+cert, 0600),
 * snare-ca-cert.pem, snare-ca-cert.cer (same bytes), snare-ca-cert.p12.
 * The conf dir is created 0700 when missing; an existing one must be owned
 * by us and not writable by group or others, and snare-ca.pem must be a
 * regular file (not a symlink) owned by us and readable by nobody else.  On
 * error: negative code and one line in err naming the file and the fix. */
int ca_store_load_or_create(const char *confdir, int key_size, struct ca_store *out, char *err,
			    size_t errlen) SNARE_MUST_CHECK;
void ca_store_free(struct ca_store *s);

/* A worker's leaf public key, checked once when the worker registers it:
 * a DER SubjectPublicKeyInfo with nothing after it, RSA of 2048..8192 bits
 * or EC on P-256/P-384.  *out is the caller's (X509_PUBKEY_free). */
int ca_leaf_key_parse(const uint8_t *spki_der, size_t spki_len, X509_PUBKEY **out) SNARE_MUST_CHECK;

/* Signs a leaf certificate for pub: SANs in the order given (IP literals as
 * iPAddress, the rest as dNSName; duplicates and names a leaf may not carry
 * (certs_dns_name_ok) dropped; -EINVAL when none is left), CN = the first
 * SAN when shorter than 64 chars (else no CN and a critical SAN extension),
 * O = org when given, validity now-CERTS_LEAF_BACKDATE_SECS ..
 * +CERTS_LEAF_DAYS, random serial, basicConstraints CA:FALSE (critical),
 * keyUsage digitalSignature (+keyEncipherment for RSA; critical), EKU
 * serverAuth, AKI from the CA's SKI, issuer = the CA subject, SHA-256.
 * *der_out is malloc'ed. */
int ca_sign_leaf(const struct ca_store *s, const X509_PUBKEY *pub, const char *const *sans,
		 size_t nsans, const char *org, uint8_t **der_out,
		 size_t *der_len) SNARE_MUST_CHECK;

/* A DNS name a leaf may carry: labels of 1..63 [A-Za-z0-9_-], and a
 * wildcard only as the whole leftmost label with at least two labels after
 * it ("*.example.com"; never "*", "*.com", "a*b.example.com", "*.*.x.y"). */
bool certs_dns_name_ok(const char *name, size_t len);

/* Module-internal (ca process): sets version 3, a random positive 128-bit
 * serial and the validity now-back_secs .. now+days on a new certificate. */
int certs_x509_init(X509 *x, long back_secs, long days) SNARE_MUST_CHECK;

/* Worker side: the leaf key made at start-up (ECDSA P-256, or RSA-2048). */
EVP_PKEY *leaf_key_generate(int rsa);
/* DER SubjectPublicKeyInfo of a key; malloc'ed. */
int leaf_key_spki(EVP_PKEY *key, uint8_t **der_out, size_t *der_len) SNARE_MUST_CHECK;

#endif
