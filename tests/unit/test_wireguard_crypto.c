/* Unit tests for the wireguard module's primitives (worker side): BLAKE2s against RFC 7693, the
 * keyed BLAKE2s and HMAC-BLAKE2s against Python's hashlib, the protocol's HKDF and its initial
 * chaining key and hash (the constants every WireGuard implementation shares), X25519 against
 * RFC 7748, the AEAD nonce layout, base64 keys and the replay window's edges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wireguard/wg_int.h"

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[128];

	unhex(hex, want, n);
	assert_memory_equal(got, want, n);
}

static void test_blake2s_rfc7693(void **state)
{
	uint8_t out[32];

	wg_hash(out, (const uint8_t *)"", 0, NULL, 0);
	assert_hex(out, 32, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
	wg_hash(out, (const uint8_t *)"abc", 3, NULL, 0);
	assert_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	wg_hash(out, (const uint8_t *)"a", 1, (const uint8_t *)"bc", 2);
	assert_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

static void test_keyed_blake2s(void **state)
{
	uint8_t key[32], data[64], out[16];

	for (int i = 0; i < 64; i++)
		data[i] = (uint8_t)i;
	memcpy(key, data, 32);
	wg_mac(out, key, 32, (const uint8_t *)"abc", 3);
	assert_hex(out, 16, "61ba5f165c194692e09d12520cc4c74a");
	wg_mac(out, key, 16, data, 64);
	assert_hex(out, 16, "dd55c51c98f8ab96ed272882941f0b6a");
}

static void test_hmac_and_kdf(void **state)
{
	uint8_t key[32], c0[32], h0[32], o1[32], o2[32], o3[32];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	wg_hmac(o1, key, (const uint8_t *)"abc", 3);
	assert_hex(o1, 32, "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");
	/* The Noise protocol name's hash and the identifier mixed in: shared by all peers. */
	wg_hash(c0, (const uint8_t *)wg_construction, strlen(wg_construction), NULL, 0);
	assert_hex(c0, 32, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	wg_hash(h0, c0, 32, (const uint8_t *)wg_identifier, strlen(wg_identifier));
	assert_hex(h0, 32, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
	wg_kdf(o1, o2, o3, c0, key, 32);
	assert_hex(o1, 32, "6ff66e10ab4a55ac8144a867fcd9f8ee64d4bd6239223338cb3437cf085ab031");
	assert_hex(o2, 32, "203b22d63d63e35cebb9e40210cf8c1d7f90879428a4c766cda9ef34bb299398");
	assert_hex(o3, 32, "35a7b2fc3e4f59db341dbe588e3b75897980c463d5bbb855f8ed8134ff40133a");
	wg_kdf(o1, o2, NULL, c0, NULL, 0);
	assert_hex(o1, 32, "bd968725a9177942a8c2e4253d1dde31cf7b19ec001b4a3a3d141cd9d998d3ba");
	assert_hex(o2, 32, "aab5462b323780fa615bf80ffe469510239ff361575a663968e686a7ae41d693");
	/* Output aliasing the key, as the handshake uses it. */
	wg_kdf(c0, NULL, NULL, c0, key, 32);
	assert_hex(c0, 32, "6ff66e10ab4a55ac8144a867fcd9f8ee64d4bd6239223338cb3437cf085ab031");
}

static void test_x25519_rfc7748(void **state)
{
	struct wg_keys k;
	uint8_t shared[32], zero[32] = {0};

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", k.server_priv,
	      32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", k.client_priv,
	      32);
	assert_int_equal(wg_keys_derive(&k), 0);
	assert_hex(k.server_pub, 32,
		   "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_hex(k.client_pub, 32,
		   "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(wg_dh(shared, k.server_priv, k.client_pub), 0);
	assert_hex(shared, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	/* A low-order point gives all zeros, which the protocol refuses. */
	assert_int_equal(wg_dh(shared, k.server_priv, zero), -EINVAL);
}

static void test_aead_nonce_layout(void **state)
{
	uint8_t key[32], ct[15 + 16], pt[15];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	/* Python: ChaCha20Poly1305(key).encrypt(bytes(4) + (5).to_bytes(8, "little"), ...) */
	wg_aead_seal(ct, key, 5, (const uint8_t *)"hello wireguard", 15, (const uint8_t *)"ad", 2);
	assert_hex(ct, sizeof(ct),
		   "4b6dfa662a053057f9cf5e3d44c7547a206ce74cd76f4aae74dff5008a27fd");
	assert_int_equal(wg_aead_open(pt, key, 5, ct, sizeof(ct), (const uint8_t *)"ad", 2), 0);
	assert_memory_equal(pt, "hello wireguard", 15);
	assert_int_equal(wg_aead_open(pt, key, 6, ct, sizeof(ct), (const uint8_t *)"ad", 2),
			 -EBADMSG);
	ct[0] ^= 1;
	assert_int_equal(wg_aead_open(pt, key, 5, ct, sizeof(ct), (const uint8_t *)"ad", 2),
			 -EBADMSG);
	assert_int_equal(wg_aead_open(pt, key, 5, ct, 15, NULL, 0), -EBADMSG);
}

static void test_base64_keys(void **state)
{
	uint8_t key[32], back[32];
	char b64[45];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7);
	wg_key_to_base64(key, b64);
	assert_int_equal(strlen(b64), 44);
	assert_int_equal(wg_key_from_base64(b64, 44, back), 0);
	assert_memory_equal(key, back, 32);
	assert_int_equal(wg_key_from_base64(b64, 43, back), -EINVAL);
	b64[10] = '*';
	assert_int_equal(wg_key_from_base64(b64, 44, back), -EINVAL);
	assert_int_equal(wg_key_from_base64("AAAA", 4, back), -EINVAL);
	wg_key_generate(key);
	assert_int_equal(key[0] & 7, 0);
	assert_int_equal(key[31] & 0xc0, 0x40);
}

static void test_replay_window(void **state)
{
	struct wg_replay r;

	wg_replay_init(&r);
	assert_true(wg_replay_accept(&r, 0));
	assert_false(wg_replay_accept(&r, 0));
	assert_true(wg_replay_accept(&r, 2));
	assert_true(wg_replay_accept(&r, 1));
	assert_false(wg_replay_check(&r, 1));
	/* Out of order inside the window is fine; the window is at least 2048 wide. */
	assert_true(wg_replay_accept(&r, 20000));
	assert_true(wg_replay_check(&r, 20000 - 2048));
	assert_true(wg_replay_accept(&r, 20000 - WG_REPLAY_WINDOW + 1));
	assert_false(wg_replay_check(&r, 20000 - WG_REPLAY_WINDOW));
	assert_false(wg_replay_accept(&r, 2));
	/* A jump far ahead clears the ring: old bits must not linger as false replays. */
	assert_true(wg_replay_accept(&r, 1000000));
	assert_true(wg_replay_accept(&r, 1000000 - 64 * 5));
	assert_false(wg_replay_accept(&r, 1000000));
	assert_true(wg_replay_accept(&r, 1000000 + WG_REPLAY_WINDOW * 3 + 1));
	assert_false(wg_replay_check(&r, 1000000));
	assert_false(wg_replay_check(&r, WG_REJECT_AFTER_MESSAGES));
	assert_true(wg_replay_accept(&r, WG_REJECT_AFTER_MESSAGES - 1));
	assert_false(wg_replay_accept(&r, WG_REJECT_AFTER_MESSAGES - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blake2s_rfc7693),   cmocka_unit_test(test_keyed_blake2s),
	    cmocka_unit_test(test_hmac_and_kdf),      cmocka_unit_test(test_x25519_rfc7748),
	    cmocka_unit_test(test_aead_nonce_layout), cmocka_unit_test(test_base64_keys),
	    cmocka_unit_test(test_replay_window),
	};

	if (wg_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
