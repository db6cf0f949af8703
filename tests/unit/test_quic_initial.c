/* Unit tests for the QUIC Initial reader (daemon/quic/initial.c): the client Initial packets of
 * RFC 9001 appendix A.2 (v1) and RFC 9369 appendix A.2 (v2), their key derivations (A.1), a
 * ClientHello cut into CRYPTO frames over several packets and datagrams (coalesced, out of
 * order), and malformed input: truncated packets, bogus lengths, tampering, forbidden frames,
 * other versions and plain UDP. Packets other than the RFC's are sealed here with OpenSSL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "quic/initial.h"
#include "quic/initial_int.h"

/* RFC 9001 appendix A.2: the client's first Initial (1200 bytes). */
static const char rfc9001_a2[] = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
				 "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
				 "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
				 "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
				 "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
				 "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
				 "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
				 "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
				 "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
				 "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
				 "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
				 "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
				 "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
				 "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
				 "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
				 "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
				 "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
				 "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
				 "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
				 "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
				 "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
				 "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
				 "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
				 "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
				 "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
				 "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
				 "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
				 "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
				 "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
				 "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
				 "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
				 "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
				 "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
				 "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
				 "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
				 "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
				 "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
				 "e221af44860018ab0856972e194cd934";

/* RFC 9369 appendix A.2: the same ClientHello in a v2 Initial. */
static const char rfc9369_a2[] = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
				 "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
				 "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
				 "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
				 "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
				 "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
				 "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
				 "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
				 "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
				 "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
				 "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
				 "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
				 "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
				 "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
				 "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
				 "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
				 "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
				 "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
				 "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
				 "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
				 "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
				 "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
				 "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
				 "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
				 "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
				 "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
				 "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
				 "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
				 "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
				 "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
				 "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
				 "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
				 "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
				 "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
				 "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
				 "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
				 "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
				 "a18b2faa745b6fe189cf772a9f84cbfc";

/* The CRYPTO frame both carry (RFC 9001 A.2): offset 0, 241 bytes of ClientHello, SNI
 * example.com, ALPN "alpn". */
static const char crypto_frame[] =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; h[0] && h[1] && n < cap; h += 2)
		sscanf(h, "%2hhx", &out[n++]);
	return n;
}

static void assert_hex(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t want[64];

	assert_int_equal(unhex(hex, want, sizeof(want)), n);
	assert_memory_equal(p, want, n);
}

/* The client keys of RFC 9001 A.1 and RFC 9369 A.1. */
static const struct {
	uint32_t version;
	const char *key, *iv, *hp;
} rfc_keys[] = {
    {QUIC_VERSION_1, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
     "9f50449e04a0e810283a1e9933adedd2"},
    {QUIC_VERSION_2, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
     "45b95e15235d6f45a6b19cbcb0294ba9"},
};

static void test_keys(void **state)
{
	struct quic_initial_keys k;

	for (size_t i = 0; i < sizeof(rfc_keys) / sizeof(rfc_keys[0]); i++) {
		assert_int_equal(quic_initial_derive(rfc_keys[i].version, dcid, sizeof(dcid), &k),
				 0);
		assert_hex(k.key, 16, rfc_keys[i].key);
		assert_hex(k.iv, 12, rfc_keys[i].iv);
		assert_hex(k.hp, 16, rfc_keys[i].hp);
	}
	assert_int_equal(quic_initial_derive(0xff00001d, dcid, sizeof(dcid), &k), -EINVAL);
}

static enum quic_initial_result feed_hex(struct quic_initial *qi, const char *hex)
{
	uint8_t d[1500];
	size_t n = unhex(hex, d, sizeof(d));

	return quic_initial_feed(qi, d, n);
}

static void assert_example(const struct quic_initial *qi, uint32_t version)
{
	const struct quic_initial_info *in = quic_initial_info(qi);

	assert_int_equal(in->version, version);
	assert_int_equal(in->dcid_len, 8);
	assert_memory_equal(in->dcid, dcid, 8);
	assert_int_equal(in->scid_len, 0);
	assert_string_equal(in->hello.sni, "example.com");
	assert_int_equal(in->hello.nalpn, 1);
	assert_string_equal(in->hello.alpn[0], "alpn");
}

static void test_rfc_packets(void **state)
{
	struct quic_initial *qi = quic_initial_new();

	assert_int_equal(feed_hex(qi, rfc9001_a2), QUIC_INITIAL_DONE);
	assert_example(qi, QUIC_VERSION_1);
	assert_int_equal(feed_hex(qi, "00"), QUIC_INITIAL_DONE); /* sticky */
	quic_initial_free(qi);

	qi = quic_initial_new();
	assert_int_equal(feed_hex(qi, rfc9369_a2), QUIC_INITIAL_DONE);
	assert_example(qi, QUIC_VERSION_2);
	quic_initial_free(qi);
}

/* Seals one client Initial (4-byte packet number, no token, empty SCID) at out; its length. */
static size_t seal(uint32_t version, uint64_t pn, const uint8_t *pl, size_t n, uint8_t *out)
{
	struct quic_initial_keys k;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], mask[5];
	size_t h = 0, len = 4 + n + 16;
	int outl = 0;

	assert_int_equal(quic_initial_derive(version, dcid, sizeof(dcid), &k), 0);
	out[h++] = version == QUIC_VERSION_2 ? 0xd3 : 0xc3;
	for (int i = 3; i >= 0; i--)
		out[h++] = (uint8_t)(version >> (8 * i));
	out[h++] = sizeof(dcid);
	memcpy(out + h, dcid, sizeof(dcid));
	h += sizeof(dcid);
	out[h++] = 0; /* SCID */
	out[h++] = 0; /* token */
	out[h++] = (uint8_t)(0x40 | len >> 8);
	out[h++] = (uint8_t)len;
	for (int i = 3; i >= 0; i--)
		out[h++] = (uint8_t)(pn >> (8 * i));
	memcpy(nonce, k.iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, out, (int)h), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out + h, &outl, pl, (int)n), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + h + n, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + n), 1);
	EVP_CIPHER_CTX_free(c);
	assert_int_equal(quic_initial_hp_mask(&k, out + h, mask), 0);
	out[0] ^= mask[0] & 0x0f;
	for (int i = 0; i < 4; i++)
		out[h - 4 + i] ^= mask[1 + i];
	return h + n + 16;
}

/* A CRYPTO frame for hello[off..off+len) followed by `pad` PADDING bytes; its length. */
static size_t crypto_part(size_t off, size_t len, size_t pad, uint8_t *out)
{
	static uint8_t frame[300];
	size_t fn = unhex(crypto_frame, frame, sizeof(frame)), n = 0;
	const uint8_t *hello = frame + 4;

	assert_true(off + len <= fn - 4);
	out[n++] = 0x06;
	out[n++] = (uint8_t)(0x40 | off >> 8);
	out[n++] = (uint8_t)off;
	out[n++] = (uint8_t)(0x40 | len >> 8);
	out[n++] = (uint8_t)len;
	memcpy(out + n, hello + off, len);
	n += len;
	memset(out + n, 0, pad);
	return n + pad;
}

/* The hello in three CRYPTO frames: the last part first, in one datagram with a PING/ACK packet
 * coalesced; then the first two parts as two Initials coalesced in a second datagram. */
static void test_split_hello(void **state)
{
	for (int v = 0; v < 2; v++) {
		uint32_t version = v ? QUIC_VERSION_2 : QUIC_VERSION_1;
		struct quic_initial *qi = quic_initial_new();
		uint8_t pl[1300], dg[1500];
		size_t pn, n = 0;

		pn = crypto_part(200, 41, 300, pl);
		n += seal(version, 2, pl, pn, dg + n);
		pl[0] = 0x01;				   /* PING */
		memcpy(pl + 1, "\x02\x00\x00\x00\x00", 5); /* ACK 0, no ranges */
		memset(pl + 6, 0, 20);
		n += seal(version, 3, pl, 6 + 20, dg + n);
		assert_int_equal(quic_initial_feed(qi, dg, n), QUIC_INITIAL_NEED_MORE);
		assert_int_equal(quic_initial_info(qi)->version, version);

		n = seal(version, 0, pl, crypto_part(0, 3, 30, pl), dg);
		n += seal(version, 1, pl, crypto_part(3, 197, 30, pl), dg + n);
		assert_int_equal(quic_initial_feed(qi, dg, n), QUIC_INITIAL_DONE);
		assert_example(qi, version);
		quic_initial_free(qi);
	}
}

static enum quic_initial_result feed_once(const uint8_t *d, size_t n, const char **why)
{
	struct quic_initial *qi = quic_initial_new();
	enum quic_initial_result r = quic_initial_feed(qi, d, n);
	static char err[128];

	snprintf(err, sizeof(err), "%s", quic_initial_error(qi));
	*why = err;
	quic_initial_free(qi);
	return r;
}

static void test_truncated_and_bogus(void **state)
{
	uint8_t d[1500];
	size_t n = unhex(rfc9001_a2, d, sizeof(d));
	const char *why;

	for (size_t cut = 7; cut < n; cut += 97)
		assert_int_equal(feed_once(d, cut, &why), QUIC_INITIAL_ERROR);
	assert_int_equal(feed_once(d, 5, &why), QUIC_INITIAL_ERROR);
	d[16] = 0x7f; /* payload length 0x3f9e: past the datagram */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_ERROR);
	assert_string_equal(why, "malformed long header");
	n = unhex(rfc9001_a2, d, sizeof(d));
	d[5] = 21; /* a DCID longer than v1 allows */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_ERROR);
	n = unhex(rfc9001_a2, d, sizeof(d));
	d[5] = 255; /* a DCID longer than the datagram */
	assert_int_equal(feed_once(d, 200, &why), QUIC_INITIAL_ERROR);
	n = unhex(rfc9001_a2, d, sizeof(d));
	d[600] ^= 1; /* tampered ciphertext */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_ERROR);
	assert_string_equal(why, "Initial packet does not decrypt");
	n = unhex(rfc9001_a2, d, sizeof(d));
	d[0] &= ~0x40; /* fixed bit cleared */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_ERROR);
}

static void test_bad_frames(void **state)
{
	uint8_t pl[1300], dg[1500];
	const char *why;
	size_t n;

	memset(pl, 0, sizeof(pl));
	memcpy(pl, "\x08\x00\x01x", 4); /* STREAM */
	n = seal(QUIC_VERSION_1, 0, pl, 1100, dg);
	assert_int_equal(feed_once(dg, n, &why), QUIC_INITIAL_ERROR);
	assert_string_equal(why, "frame type not allowed in a client Initial");
	memcpy(pl, "\x06\x80\x10\x00\x00\x01x", 7); /* CRYPTO at offset 1 MiB */
	n = seal(QUIC_VERSION_1, 0, pl, 1100, dg);
	assert_int_equal(feed_once(dg, n, &why), QUIC_INITIAL_ERROR);
	assert_string_equal(why, "CRYPTO data beyond the ClientHello limit");
	memcpy(pl, "\x06\x00\x44\x00x", 5); /* CRYPTO longer than the packet */
	n = seal(QUIC_VERSION_1, 0, pl, 1000, dg);
	assert_int_equal(feed_once(dg, n, &why), QUIC_INITIAL_ERROR);
	memcpy(pl, "\x06\x00\x04\x02\x00\x00\x05", 7); /* a ServerHello, not a ClientHello */
	n = seal(QUIC_VERSION_1, 0, pl, 1000, dg);
	assert_int_equal(feed_once(dg, n, &why), QUIC_INITIAL_ERROR);
	memcpy(pl, "\x06\x00\x04\x01\xff\xff\xff", 7); /* a 16 MiB ClientHello */
	n = seal(QUIC_VERSION_1, 0, pl, 1000, dg);
	assert_int_equal(feed_once(dg, n, &why), QUIC_INITIAL_ERROR);
	assert_string_equal(why, "ClientHello larger than the limit");
}

static void test_not_quic(void **state)
{
	uint8_t d[1500];
	const char *why;
	size_t n;

	assert_int_equal(feed_once((const uint8_t *)"\x12\x34\x01\x00\x00\x01", 6, &why),
			 QUIC_INITIAL_NOT_QUIC); /* a DNS query's start */
	assert_int_equal(feed_once((const uint8_t *)"", 0, &why), QUIC_INITIAL_NOT_QUIC);
	n = unhex(rfc9001_a2, d, sizeof(d));
	d[0] = 0x40; /* a short header */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_NOT_QUIC);
	n = unhex(rfc9001_a2, d, sizeof(d));
	memcpy(d + 1, "\xff\x00\x00\x1d", 4); /* draft-29 */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_UNKNOWN_VERSION);
	memcpy(d + 1, "\x00\x00\x00\x00", 4); /* Version Negotiation */
	assert_int_equal(feed_once(d, n, &why), QUIC_INITIAL_UNKNOWN_VERSION);
	assert_string_equal(quic_initial_result_name(QUIC_INITIAL_UNKNOWN_VERSION),
			    "unknown-version");
}

static void test_other_connection_and_limit(void **state)
{
	struct quic_initial *qi = quic_initial_new();
	uint8_t pl[1300], dg[1500];
	size_t n = seal(QUIC_VERSION_1, 0, pl, crypto_part(0, 100, 1000, pl), dg);

	assert_int_equal(quic_initial_feed(qi, dg, n), QUIC_INITIAL_NEED_MORE);
	dg[6] ^= 1; /* another DCID */
	assert_int_equal(quic_initial_feed(qi, dg, n), QUIC_INITIAL_ERROR);
	assert_string_equal(quic_initial_error(qi), "Initial for another connection");
	quic_initial_free(qi);

	qi = quic_initial_new();
	n = seal(QUIC_VERSION_1, 0, pl, crypto_part(0, 100, 1000, pl), dg);
	for (int i = 0; i < QUIC_INITIAL_MAX_DATAGRAMS; i++)
		assert_int_equal(quic_initial_feed(qi, dg, n), QUIC_INITIAL_NEED_MORE);
	assert_int_equal(quic_initial_feed(qi, dg, n), QUIC_INITIAL_ERROR);
	quic_initial_free(qi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_rfc_packets),
	    cmocka_unit_test(test_split_hello),
	    cmocka_unit_test(test_truncated_and_bogus),
	    cmocka_unit_test(test_bad_frames),
	    cmocka_unit_test(test_not_quic),
	    cmocka_unit_test(test_other_connection_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
