/* Runs in the worker. Packet protection of client Initial packets (RFC 9001 section 5, RFC 9369
 * section 3.3): keys from the Destination Connection ID with HKDF-SHA256, AES-128-ECB for the
 * header-protection mask, AES-128-GCM for the payload, all through OpenSSL EVP. Trusts nothing
 * in its inputs; the salts and labels are the RFCs' constants.
 * Our own code because ngtcp2 0.12 has no API to decrypt a peer's Initial without becoming the
 * server of that connection, and the worker must read the ClientHello before deciding that. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#include "quic/initial_int.h"
#include "core/unconst.h"

struct version_consts {
	uint32_t version;
	uint8_t salt[20];
	const char *key, *iv, *hp;
};

static const struct version_consts consts[] = {
    {QUIC_VERSION_1,
     {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
     "quic key",
     "quic iv",
     "quic hp"},
    {QUIC_VERSION_2,
     {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
     "quicv2 key",
     "quicv2 iv",
     "quicv2 hp"},
};

static int hkdf(int mode, const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
		const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	int r = -EINVAL;

	if (!ctx)
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, unconst(key), key_len);
	if (salt)
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, unconst(salt), salt_len);
	if (info)
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, unconst(info), info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		r = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

/* HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context. */
static int expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 255 + 1];
	size_t ll = 6 + strlen(label), n = 0;

	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll - 6);
	n += ll;
	info[n++] = 0;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, NULL, 0, info, n, out, out_len);
}

int quic_initial_derive(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			struct quic_initial_keys *out)
{
	const struct version_consts *c = NULL;
	uint8_t initial[32], client[32];

	for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
		if (consts[i].version == version)
			c = &consts[i];
	if (!c)
		return -EINVAL;
	if (hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dcid_len, c->salt, sizeof(c->salt), NULL, 0,
		 initial, sizeof(initial)) < 0 ||
	    expand_label(initial, "client in", client, sizeof(client)) < 0 ||
	    expand_label(client, c->key, out->key, sizeof(out->key)) < 0 ||
	    expand_label(client, c->iv, out->iv, sizeof(out->iv)) < 0 ||
	    expand_label(client, c->hp, out->hp, sizeof(out->hp)) < 0)
		return -EINVAL;
	return 0;
}

int quic_initial_hp_mask(const struct quic_initial_keys *k, const uint8_t *sample, uint8_t mask[5])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t block[32];
	int len = 0, r = -EINVAL;

	if (ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, k->hp, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_EncryptUpdate(ctx, block, &len, sample, 16) == 1 && len == 16) {
		memcpy(mask, block, 5);
		r = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int quic_initial_open(const struct quic_initial_keys *k, uint64_t pn, const uint8_t *aad,
		      size_t aad_len, const uint8_t *ct, size_t n, uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], tag[16];
	int len = 0, fin = 0, r = -EBADMSG;

	if (!ctx || n < 16 || aad_len > INT32_MAX || n > INT32_MAX)
		goto out;
	memcpy(nonce, k->iv, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	memcpy(tag, ct + n - 16, 16);
	if (EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &len, ct, (int)(n - 16)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, pt + len, &fin) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}
