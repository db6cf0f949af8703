/* Runs in the worker of a wireguard mode. The protocol's primitives on well-kept libraries:
 * BLAKE2s, keyed BLAKE2s-128 and HMAC-BLAKE2s from OpenSSL 3, X25519 and (X)ChaCha20-Poly1305
 * from libsodium. Every length is fixed by the caller's protocol step; failures of the libraries
 * on fixed-size inputs are broken invariants. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "core/util.h"
#include "wireguard/wg_int.h"

const char wg_construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
const char wg_identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
const char wg_label_mac1[] = "mac1----";
const char wg_label_cookie[] = "cookie--";

static EVP_MD *blake2s_md;
static EVP_MAC *blake2s_mac;
static EVP_MAC *hmac_mac;

int wg_crypto_init(void)
{
	if (blake2s_md && blake2s_mac && hmac_mac)
		return 0;
	if (sodium_init() < 0)
		return -ENOSYS;
	if (!blake2s_md)
		blake2s_md = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	if (!blake2s_mac)
		blake2s_mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	if (!hmac_mac)
		hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return blake2s_md && blake2s_mac && hmac_mac ? 0 : -ENOSYS;
}

static void need_crypto(void)
{
	if (wg_crypto_init() != 0)
		fatal("wireguard: BLAKE2s or libsodium unavailable");
}

void wg_hash(uint8_t out[WG_HASH_LEN], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	unsigned int len = 0;

	need_crypto();
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex2(c, blake2s_md, NULL) || !EVP_DigestUpdate(c, a, alen) ||
	    (blen && !EVP_DigestUpdate(c, b, blen)) || !EVP_DigestFinal_ex(c, out, &len) ||
	    len != WG_HASH_LEN)
		fatal("wireguard: BLAKE2s failed");
	EVP_MD_CTX_free(c);
}

/* One EVP_MAC computation with the given algorithm parameters. */
static void mac_run(EVP_MAC *alg, const OSSL_PARAM *params, const uint8_t *key, size_t keylen,
		    const uint8_t *d, size_t n, uint8_t *out, size_t outlen)
{
	size_t len = 0;

	need_crypto();
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(alg);
	if (!c || !EVP_MAC_init(c, key, keylen, params) || !EVP_MAC_update(c, d, n) ||
	    !EVP_MAC_final(c, out, &len, outlen) || len != outlen)
		fatal("wireguard: MAC computation failed");
	EVP_MAC_CTX_free(c);
}

void wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen, const uint8_t *d, size_t n)
{
	size_t size = WG_MAC_LEN;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
	    OSSL_PARAM_construct_end(),
	};

	mac_run(blake2s_mac, params, key, keylen, d, n, out, WG_MAC_LEN);
}

void wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN], const uint8_t *d, size_t n)
{
	char digest[] = "BLAKE2S-256";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end(),
	};

	mac_run(hmac_mac, params, key, WG_HASH_LEN, d, n, out, WG_HASH_LEN);
}

void wg_kdf(uint8_t *o1, uint8_t *o2, uint8_t *o3, const uint8_t key[WG_HASH_LEN],
	    const uint8_t *in, size_t inlen)
{
	uint8_t prk[WG_HASH_LEN], t[WG_HASH_LEN + 1];

	wg_hmac(prk, key, in, inlen);
	t[0] = 1;
	wg_hmac(t, prk, t, 1);
	memcpy(o1, t, WG_HASH_LEN);
	if (o2) {
		t[WG_HASH_LEN] = 2;
		wg_hmac(t, prk, t, sizeof(t));
		memcpy(o2, t, WG_HASH_LEN);
	}
	if (o3) {
		t[WG_HASH_LEN] = 3;
		wg_hmac(t, prk, t, sizeof(t));
		memcpy(o3, t, WG_HASH_LEN);
	}
	wg_wipe(prk, sizeof(prk));
	wg_wipe(t, sizeof(t));
}

int wg_dh(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN], const uint8_t pub[WG_KEY_LEN])
{
	return crypto_scalarmult(out, priv, pub) == 0 ? 0 : -EINVAL;
}

static void nonce12(uint8_t n[12], uint64_t counter)
{
	memset(n, 0, 4);
	wg_put_le64(n + 4, counter);
}

void wg_aead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter, const uint8_t *pt,
		  size_t n, const uint8_t *ad, size_t adlen)
{
	uint8_t nonce[12];

	nonce12(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, n, ad, adlen, NULL, nonce, key);
}

int wg_aead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter, const uint8_t *ct,
		 size_t n, const uint8_t *ad, size_t adlen)
{
	uint8_t nonce[12];

	if (n < WG_TAG_LEN)
		return -EBADMSG;
	nonce12(nonce, counter);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, n, ad, adlen, nonce,
						      key) != 0)
		return -EBADMSG;
	return 0;
}

void wg_xaead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN],
		   const uint8_t nonce[WG_COOKIE_NONCE_LEN], const uint8_t *pt, size_t n,
		   const uint8_t *ad, size_t adlen)
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, pt, n, ad, adlen, NULL, nonce, key);
}

int wg_xaead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN],
		  const uint8_t nonce[WG_COOKIE_NONCE_LEN], const uint8_t *ct, size_t n,
		  const uint8_t *ad, size_t adlen)
{
	if (n < WG_TAG_LEN)
		return -EBADMSG;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, n, ad, adlen, nonce,
						       key) != 0)
		return -EBADMSG;
	return 0;
}

void wg_random(void *p, size_t n)
{
	need_crypto();
	randombytes_buf(p, n);
}

bool wg_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void wg_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}
