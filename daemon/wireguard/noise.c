/* Runs in the worker of a wireguard mode. The responder half of Noise_IKpsk2 as the WireGuard
 * whitepaper (§5.4.2, §5.4.3) writes it: consumes an initiation whose MACs were already checked,
 * authenticates the initiator's static key against the one peer, and writes the response and the
 * transport keys. The initiation's bytes are untrusted; every step is authenticated. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wireguard/wg_int.h"

int wg_noise_static_init(struct wg_noise_static *st, const struct wg_keys *k)
{
	const uint8_t *c0;

	memset(st, 0, sizeof(*st));
	memcpy(st->priv, k->server_priv, WG_KEY_LEN);
	memcpy(st->pub, k->server_pub, WG_KEY_LEN);
	memcpy(st->peer_pub, k->client_pub, WG_KEY_LEN);
	if (wg_dh(st->precomp_ss, st->priv, st->peer_pub) != 0)
		return -EINVAL;
	wg_hash(st->mac1_key, (const uint8_t *)wg_label_mac1, 8, st->pub, WG_KEY_LEN);
	wg_hash(st->peer_mac1_key, (const uint8_t *)wg_label_mac1, 8, st->peer_pub, WG_KEY_LEN);
	wg_hash(st->cookie_key, (const uint8_t *)wg_label_cookie, 8, st->pub, WG_KEY_LEN);
	c0 = (const uint8_t *)wg_construction;
	wg_hash(st->init_chain, c0, strlen(wg_construction), NULL, 0);
	wg_hash(st->init_hash, st->init_chain, WG_HASH_LEN, (const uint8_t *)wg_identifier,
		strlen(wg_identifier));
	wg_hash(st->init_hash, st->init_hash, WG_HASH_LEN, st->pub, WG_KEY_LEN);
	return 0;
}

/* H = HASH(H || d) */
static void mix_hash(uint8_t h[WG_HASH_LEN], const uint8_t *d, size_t n)
{
	wg_hash(h, h, WG_HASH_LEN, d, n);
}

int wg_noise_consume_initiation(const struct wg_noise_static *st, const uint8_t *msg,
				struct wg_noise_init *out)
{
	uint8_t c[WG_HASH_LEN], h[WG_HASH_LEN], k[WG_KEY_LEN], dh[WG_KEY_LEN];
	uint8_t peer[WG_KEY_LEN];
	const uint8_t *e = msg + WG_INIT_OFF_EPHEMERAL;
	int r = -EBADMSG;

	memcpy(c, st->init_chain, sizeof(c));
	memcpy(h, st->init_hash, sizeof(h));
	wg_kdf(c, NULL, NULL, c, e, WG_KEY_LEN);
	mix_hash(h, e, WG_KEY_LEN);
	if (wg_dh(dh, st->priv, e) != 0)
		goto out;
	wg_kdf(c, k, NULL, c, dh, WG_KEY_LEN);
	if (wg_aead_open(peer, k, 0, msg + WG_INIT_OFF_STATIC, WG_KEY_LEN + WG_TAG_LEN, h,
			 WG_HASH_LEN) != 0)
		goto out;
	mix_hash(h, msg + WG_INIT_OFF_STATIC, WG_KEY_LEN + WG_TAG_LEN);
	if (!wg_ct_equal(peer, st->peer_pub, WG_KEY_LEN)) {
		r = -EPERM;
		goto out;
	}
	wg_kdf(c, k, NULL, c, st->precomp_ss, WG_KEY_LEN);
	if (wg_aead_open(out->tai64n, k, 0, msg + WG_INIT_OFF_TIMESTAMP, WG_TAI64N_LEN + WG_TAG_LEN,
			 h, WG_HASH_LEN) != 0)
		goto out;
	mix_hash(h, msg + WG_INIT_OFF_TIMESTAMP, WG_TAI64N_LEN + WG_TAG_LEN);
	out->sender = wg_le32(msg + WG_INIT_OFF_SENDER);
	memcpy(out->eph_pub, e, WG_KEY_LEN);
	memcpy(out->chain, c, WG_HASH_LEN);
	memcpy(out->hash, h, WG_HASH_LEN);
	r = 0;
out:
	wg_wipe(c, sizeof(c));
	wg_wipe(k, sizeof(k));
	wg_wipe(dh, sizeof(dh));
	return r;
}

int wg_noise_create_response(const struct wg_noise_static *st, struct wg_noise_init *in,
			     uint32_t our_index, uint8_t *msg, struct wg_noise_keys *keys)
{
	uint8_t epriv[WG_KEY_LEN], dh[WG_KEY_LEN], t[WG_HASH_LEN], k[WG_KEY_LEN];
	uint8_t *c = in->chain, *h = in->hash, *e = msg + WG_RESP_OFF_EPHEMERAL;
	int r = -EINVAL;

	memset(msg, 0, WG_RESP_LEN);
	msg[0] = WG_MSG_RESPONSE;
	wg_put_le32(msg + WG_RESP_OFF_SENDER, our_index);
	wg_put_le32(msg + WG_RESP_OFF_RECEIVER, in->sender);
	wg_key_generate(epriv);
	crypto_scalarmult_base(e, epriv);
	wg_kdf(c, NULL, NULL, c, e, WG_KEY_LEN);
	mix_hash(h, e, WG_KEY_LEN);
	if (wg_dh(dh, epriv, in->eph_pub) != 0)
		goto out;
	wg_kdf(c, NULL, NULL, c, dh, WG_KEY_LEN);
	if (wg_dh(dh, epriv, st->peer_pub) != 0)
		goto out;
	wg_kdf(c, NULL, NULL, c, dh, WG_KEY_LEN);
	wg_kdf(c, t, k, c, st->psk, WG_KEY_LEN);
	mix_hash(h, t, WG_HASH_LEN);
	wg_aead_seal(msg + WG_RESP_OFF_EMPTY, k, 0, NULL, 0, h, WG_HASH_LEN);
	mix_hash(h, msg + WG_RESP_OFF_EMPTY, WG_TAG_LEN);
	wg_mac(msg + WG_RESP_OFF_MAC1, st->peer_mac1_key, WG_HASH_LEN, msg, WG_RESP_OFF_MAC1);
	wg_kdf(keys->recv, keys->send, NULL, c, NULL, 0);
	r = 0;
out:
	wg_wipe(epriv, sizeof(epriv));
	wg_wipe(dh, sizeof(dh));
	wg_wipe(t, sizeof(t));
	wg_wipe(k, sizeof(k));
	wg_wipe(in->chain, sizeof(in->chain));
	return r;
}
