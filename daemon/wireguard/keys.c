/* Runs in the coordinator (key file, client configuration) and the worker (the server). X25519
 * key helpers: clamped generation, public keys, and the standard base64 form `wg genkey` prints.
 * Base64 input comes from the user's key file and is checked strictly. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wireguard/wg_int.h"

void wg_key_generate(uint8_t priv[WG_KEY_LEN])
{
	wg_random(priv, WG_KEY_LEN);
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
}

int wg_keys_derive(struct wg_keys *k)
{
	if (wg_crypto_init() != 0)
		return -ENOSYS;
	if (crypto_scalarmult_base(k->server_pub, k->server_priv) != 0 ||
	    crypto_scalarmult_base(k->client_pub, k->client_priv) != 0)
		return -EINVAL;
	return 0;
}

void wg_key_to_base64(const uint8_t key[WG_KEY_LEN], char out[45])
{
	sodium_bin2base64(out, 45, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int wg_key_from_base64(const char *b64, size_t len, uint8_t key[WG_KEY_LEN])
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (len != 44 || b64[43] != '=' || b64[42] == '=')
		return -EINVAL;
	if (sodium_base642bin(key, WG_KEY_LEN, b64, len, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != WG_KEY_LEN || end != b64 + len)
		return -EINVAL;
	return 0;
}
