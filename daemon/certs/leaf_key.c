/* Runs in workers at start-up.  Makes the one leaf key a worker presents to
 * clients (never the CA key) and encodes its public half as the
 * SubjectPublicKeyInfo the ca process signs.  Trusts nothing from outside. */
#include "certs/certs.h"

#include <errno.h>
#include <stdlib.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#define LEAF_RSA_BITS 2048

EVP_PKEY *leaf_key_generate(int rsa)
{
	EVP_PKEY *key = rsa ? EVP_RSA_gen(LEAF_RSA_BITS) : EVP_EC_gen("P-256");

	if (key == NULL)
		ERR_clear_error();
	return key;
}

int leaf_key_spki(EVP_PKEY *key, uint8_t **der_out, size_t *der_len)
{
	unsigned char *p;
	int len;

	if (key == NULL || der_out == NULL || der_len == NULL)
		return -EINVAL;
	*der_out = NULL;
	*der_len = 0;
	len = i2d_PUBKEY(key, NULL);
	if (len <= 0)
		goto fail;
	*der_out = xmalloc((size_t)len);
	p = *der_out;
	if (i2d_PUBKEY(key, &p) != len)
		goto fail;
	*der_len = (size_t)len;
	return 0;
fail:
	free(*der_out);
	*der_out = NULL;
	ERR_clear_error();
	return -EIO;
}
