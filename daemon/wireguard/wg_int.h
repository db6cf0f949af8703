/* Internal to the wireguard module (worker): the protocol's constants and message layouts, the
 * primitives (BLAKE2s and its HMAC/HKDF from OpenSSL, X25519 and the AEADs from libsodium), the
 * replay window and the Noise_IKpsk2 responder. Nothing here trusts its input lengths blindly. */
#ifndef SNARE_WIREGUARD_WG_INT_H
#define SNARE_WIREGUARD_WG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "wireguard/wg.h"

#define WG_HASH_LEN 32
#define WG_MAC_LEN 16
#define WG_TAG_LEN 16
#define WG_TAI64N_LEN 12
#define WG_COOKIE_NONCE_LEN 24

enum wg_msg_type {
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4,
};

/* Message sizes and offsets (whitepaper §5.4). */
#define WG_INIT_LEN 148
#define WG_INIT_OFF_SENDER 4
#define WG_INIT_OFF_EPHEMERAL 8
#define WG_INIT_OFF_STATIC 40
#define WG_INIT_OFF_TIMESTAMP 88
#define WG_INIT_OFF_MAC1 116
#define WG_INIT_OFF_MAC2 132
#define WG_RESP_LEN 92
#define WG_RESP_OFF_SENDER 4
#define WG_RESP_OFF_RECEIVER 8
#define WG_RESP_OFF_EPHEMERAL 12
#define WG_RESP_OFF_EMPTY 44
#define WG_RESP_OFF_MAC1 60
#define WG_RESP_OFF_MAC2 76
#define WG_COOKIE_LEN 64
#define WG_COOKIE_OFF_RECEIVER 4
#define WG_COOKIE_OFF_NONCE 8
#define WG_COOKIE_OFF_COOKIE 32
#define WG_DATA_HDR_LEN 16
#define WG_DATA_MIN_LEN (WG_DATA_HDR_LEN + WG_TAG_LEN)

/* Timers and limits (whitepaper §6.1), in milliseconds where times. */
#define WG_REKEY_AFTER_TIME_MS 120000u
#define WG_REJECT_AFTER_TIME_MS 180000u
#define WG_KEEPALIVE_TIMEOUT_MS 10000u
#define WG_COOKIE_SECRET_MS 120000u
#define WG_REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (UINT64_C(1) << 13))
/* The peer may not initiate more often than this (as wireguard-go: 50 per second). */
#define WG_INITIATION_MIN_GAP_MS 20u

extern const char wg_construction[];
extern const char wg_identifier[];
extern const char wg_label_mac1[];
extern const char wg_label_cookie[];

/* crypto.c. Lengths of keys and outputs are fixed by the protocol. */
void wg_hash(uint8_t out[WG_HASH_LEN], const uint8_t *a, size_t alen, const uint8_t *b,
	     size_t blen);
void wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen, const uint8_t *d, size_t n);
void wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN], const uint8_t *d, size_t n);
/* HKDF with HMAC-BLAKE2s: n outputs (1..3) of 32 bytes; o2 and o3 may be NULL. */
void wg_kdf(uint8_t *o1, uint8_t *o2, uint8_t *o3, const uint8_t key[WG_HASH_LEN],
	    const uint8_t *in, size_t inlen);
/* X25519; -EINVAL when the result is all zeros (a low-order point). */
int wg_dh(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN],
	  const uint8_t pub[WG_KEY_LEN]) SNARE_MUST_CHECK;
void wg_aead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter, const uint8_t *pt,
		  size_t n, const uint8_t *ad, size_t adlen);
/* out gets n - WG_TAG_LEN bytes; -EBADMSG when n is short or the tag does not verify. */
int wg_aead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN], uint64_t counter, const uint8_t *ct,
		 size_t n, const uint8_t *ad, size_t adlen) SNARE_MUST_CHECK;
void wg_xaead_seal(uint8_t *out, const uint8_t key[WG_KEY_LEN],
		   const uint8_t nonce[WG_COOKIE_NONCE_LEN], const uint8_t *pt, size_t n,
		   const uint8_t *ad, size_t adlen);
int wg_xaead_open(uint8_t *out, const uint8_t key[WG_KEY_LEN],
		  const uint8_t nonce[WG_COOKIE_NONCE_LEN], const uint8_t *ct, size_t n,
		  const uint8_t *ad, size_t adlen) SNARE_MUST_CHECK;
void wg_random(void *p, size_t n);
/* TAI64N of the wall clock: 8 bytes of seconds + 2^62 and 4 of nanoseconds, big-endian. */
bool wg_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
void wg_wipe(void *p, size_t n);

static inline uint32_t wg_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wg_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t wg_le64(const uint8_t *p)
{
	return (uint64_t)wg_le32(p) | (uint64_t)wg_le32(p + 4) << 32;
}

static inline void wg_put_le64(uint8_t *p, uint64_t v)
{
	wg_put_le32(p, (uint32_t)v);
	wg_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* replay.c: a sliding window (RFC 6479) of WG_REPLAY_WORDS 64-bit words; counters more than
 * WG_REPLAY_WINDOW behind the highest accepted one are refused. */
#define WG_REPLAY_WORDS 128
#define WG_REPLAY_WINDOW ((WG_REPLAY_WORDS - 1) * 64)
struct wg_replay {
	uint64_t top; /* highest counter accepted */
	uint64_t bits[WG_REPLAY_WORDS];
};
void wg_replay_init(struct wg_replay *r);
/* Whether counter is new and inside the window (no state change). */
bool wg_replay_check(const struct wg_replay *r, uint64_t counter);
/* Marks counter as seen (after authentication); false if it was not acceptable. */
bool wg_replay_accept(struct wg_replay *r, uint64_t counter);

/* noise.c: the responder half of Noise_IKpsk2. */
struct wg_noise_static {
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	uint8_t peer_pub[WG_KEY_LEN];
	uint8_t precomp_ss[WG_KEY_LEN];	    /* DH(server priv, peer pub) */
	uint8_t mac1_key[WG_HASH_LEN];	    /* HASH(LABEL_MAC1 || our pub): checks incoming mac1 */
	uint8_t peer_mac1_key[WG_HASH_LEN]; /* HASH(LABEL_MAC1 || peer pub): our mac1 */
	uint8_t cookie_key[WG_HASH_LEN];    /* HASH(LABEL_COOKIE || our pub) */
	uint8_t psk[WG_KEY_LEN];
	uint8_t init_chain[WG_HASH_LEN], init_hash[WG_HASH_LEN]; /* C and H after our key */
};

/* What a valid initiation yields. */
struct wg_noise_init {
	uint32_t sender;
	uint8_t tai64n[WG_TAI64N_LEN];
	uint8_t eph_pub[WG_KEY_LEN];
	uint8_t chain[WG_HASH_LEN], hash[WG_HASH_LEN];
};

/* Transport keys of one session (responder view). */
struct wg_noise_keys {
	uint8_t send[WG_KEY_LEN], recv[WG_KEY_LEN];
};

int wg_noise_static_init(struct wg_noise_static *st, const struct wg_keys *k) SNARE_MUST_CHECK;
/* Consumes a WG_INIT_LEN initiation whose macs were checked. -EBADMSG on a decryption failure,
 * -EPERM when the static key is not the peer's. */
int wg_noise_consume_initiation(const struct wg_noise_static *st, const uint8_t *msg,
				struct wg_noise_init *out) SNARE_MUST_CHECK;
/* Writes the WG_RESP_LEN response (mac1 set, mac2 zero) and the session keys. */
int wg_noise_create_response(const struct wg_noise_static *st, struct wg_noise_init *in,
			     uint32_t our_index, uint8_t *msg,
			     struct wg_noise_keys *keys) SNARE_MUST_CHECK;

/* server.c / data.c: one session's keys (the responder's view). */
struct wg_keypair {
	bool valid;
	uint32_t local_index, remote_index;
	struct wg_noise_keys keys;
	uint64_t created_ms;
	uint64_t send_counter;
	struct wg_replay replay;
};

#define WG_BUF_LEN 65536

struct wg_server {
	struct loop *loop;
	struct loop_timer timer;
	struct wg_callbacks cb;
	void *arg;
	uint64_t (*now_fn)(void *arg);
	void *now_arg;
	struct wg_noise_static st;
	/* current: in use; previous: the one before it; next: answered, not yet confirmed. */
	struct wg_keypair current, previous, next;
	uint8_t last_tai64n[WG_TAI64N_LEN];
	uint64_t last_init_ms;
	bool have_init;
	struct sockaddr_storage endpoint;
	bool have_endpoint;
	unsigned handshake_limit, load_count;
	uint64_t load_window_ms;
	uint8_t cookie_secret[WG_HASH_LEN];
	uint64_t cookie_secret_ms;
	bool have_cookie_secret;
	uint64_t keepalive_due, persistent_due; /* 0: not armed */
	unsigned persistent_ms;
	uint64_t log_unknown_ms, log_nosession_ms;
	struct wg_counters ctr;
	uint8_t rx[WG_BUF_LEN], pad[WG_BUF_LEN], tx[WG_BUF_LEN];
};

uint64_t wg_now(const struct wg_server *s);
/* Logs msg at info level at most every 10 s for each kind (*last), so floods stay quiet. */
void wg_log_limited(struct wg_server *s, uint64_t *last, const char *msg);
/* Re-arms the loop timer for the earliest protocol deadline. */
void wg_schedule(struct wg_server *s);
/* The peer's endpoint is the source of the last authenticated datagram. */
void wg_learn_endpoint(struct wg_server *s, const struct sockaddr_storage *from);
/* data.c */
void wg_data_input(struct wg_server *s, const struct sockaddr_storage *from, const uint8_t *d,
		   size_t n);
/* Encrypts n bytes (0: a keepalive) with the current keypair. 0 or -ENOTCONN. */
int wg_data_send(struct wg_server *s, const uint8_t *pt, size_t n);
bool wg_keypair_usable(const struct wg_server *s, const struct wg_keypair *kp);
/* An authenticated packet went out: no keepalive owed, persistent keepalive restarts. */
void wg_sent_authenticated(struct wg_server *s);

#endif
