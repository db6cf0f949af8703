/* Unit tests for the wireguard server (worker side) against a second, independent initiator
 * written here from the whitepaper step by step: handshake, transport both ways (IPv4 and IPv6),
 * replay and counters, mac1 and unknown keys, cookie replies under load, session expiry with a
 * fake clock, keepalives, re-initiation and roaming. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#include "core/loop.h"
#include "wireguard/wg_int.h"

#define MAXQ 16

struct dgram {
	struct sockaddr_storage to;
	uint8_t d[2048];
	size_t n;
};

/* The test's own initiator. */
struct peer {
	uint8_t spriv[32], spub[32], epriv[32], epub[32], server_pub[32];
	uint8_t c[32], h[32], psk[32];
	uint32_t sender, receiver;
	uint8_t send_key[32], recv_key[32];
	uint64_t send_ctr, ts;
	uint8_t last_mac1[16], cookie[16];
	bool have_cookie;
	struct sockaddr_storage addr;
};

struct h {
	struct wg_server *s;
	struct wg_keys keys;
	uint64_t now;
	struct dgram out[MAXQ];
	size_t nout;
	uint8_t inner[MAXQ][2048];
	size_t inner_len[MAXQ], ninner;
	struct peer p;
};

static void on_send(void *arg, const struct sockaddr_storage *to, const uint8_t *d, size_t n)
{
	struct h *h = arg;

	assert_true(h->nout < MAXQ && n <= sizeof(h->out[0].d));
	h->out[h->nout].to = *to;
	memcpy(h->out[h->nout].d, d, n);
	h->out[h->nout++].n = n;
}

static void on_inner(void *arg, const uint8_t *ip, size_t n)
{
	struct h *h = arg;

	assert_true(h->ninner < MAXQ && n <= sizeof(h->inner[0]));
	memcpy(h->inner[h->ninner], ip, n);
	h->inner_len[h->ninner++] = n;
}

static uint64_t fake_now(void *arg)
{
	return ((struct h *)arg)->now;
}

static void set_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

static void x25519_pair(uint8_t priv[32], uint8_t pub[32])
{
	randombytes_buf(priv, 32);
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	assert_int_equal(crypto_scalarmult_base(pub, priv), 0);
}

/* HASH(a || b) */
static void mix(uint8_t h[32], const uint8_t *b, size_t n)
{
	wg_hash(h, h, 32, b, n);
}

static void dh(uint8_t out[32], const uint8_t *priv, const uint8_t *pub)
{
	assert_int_equal(crypto_scalarmult(out, priv, pub), 0);
}

/* Whitepaper §5.4.2, the initiator's side, into msg[148]. */
static void peer_initiation(struct peer *p, uint8_t msg[WG_INIT_LEN])
{
	uint8_t k[32], ss[32], ts[12] = {0}, mac1key[32];
	const char *cons = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	const char *id = "WireGuard v1 zx2c4 Jason@zx2c4.com";

	wg_hash(p->c, (const uint8_t *)cons, strlen(cons), NULL, 0);
	wg_hash(p->h, p->c, 32, (const uint8_t *)id, strlen(id));
	mix(p->h, p->server_pub, 32);
	x25519_pair(p->epriv, p->epub);
	memset(msg, 0, WG_INIT_LEN);
	msg[0] = 1;
	randombytes_buf(&p->sender, 4);
	wg_put_le32(msg + 4, p->sender);
	memcpy(msg + 8, p->epub, 32);
	wg_kdf(p->c, NULL, NULL, p->c, p->epub, 32);
	mix(p->h, p->epub, 32);
	dh(ss, p->epriv, p->server_pub);
	wg_kdf(p->c, k, NULL, p->c, ss, 32);
	wg_aead_seal(msg + 40, k, 0, p->spub, 32, p->h, 32);
	mix(p->h, msg + 40, 48);
	dh(ss, p->spriv, p->server_pub);
	wg_kdf(p->c, k, NULL, p->c, ss, 32);
	p->ts++;
	for (int i = 0; i < 8; i++)
		ts[i] = (uint8_t)(((UINT64_C(1) << 62) + p->ts) >> (56 - 8 * i));
	wg_aead_seal(msg + 88, k, 0, ts, 12, p->h, 32);
	mix(p->h, msg + 88, 28);
	wg_hash(mac1key, (const uint8_t *)"mac1----", 8, p->server_pub, 32);
	wg_mac(msg + 116, mac1key, 32, msg, 116);
	memcpy(p->last_mac1, msg + 116, 16);
	if (p->have_cookie)
		wg_mac(msg + 132, p->cookie, 16, msg, 132);
}

/* Whitepaper §5.4.3 from the initiator's side; 0 when the response authenticates. */
static int peer_consume_response(struct peer *p, const uint8_t *msg, size_t n)
{
	uint8_t mac1key[32], mac[16], ss[32], t[32], k[32], empty[1];

	if (n != WG_RESP_LEN || msg[0] != 2 || wg_le32(msg + 8) != p->sender)
		return -1;
	wg_hash(mac1key, (const uint8_t *)"mac1----", 8, p->spub, 32);
	wg_mac(mac, mac1key, 32, msg, 60);
	if (memcmp(mac, msg + 60, 16) != 0)
		return -2;
	wg_kdf(p->c, NULL, NULL, p->c, msg + 12, 32);
	mix(p->h, msg + 12, 32);
	dh(ss, p->epriv, msg + 12);
	wg_kdf(p->c, NULL, NULL, p->c, ss, 32);
	dh(ss, p->spriv, msg + 12);
	wg_kdf(p->c, NULL, NULL, p->c, ss, 32);
	wg_kdf(p->c, t, k, p->c, p->psk, 32);
	mix(p->h, t, 32);
	if (wg_aead_open(empty, k, 0, msg + 44, 16, p->h, 32) != 0)
		return -3;
	wg_kdf(p->send_key, p->recv_key, NULL, p->c, NULL, 0);
	p->receiver = wg_le32(msg + 4);
	p->send_ctr = 0;
	return 0;
}

static size_t peer_data(struct peer *p, const uint8_t *pt, size_t n, uint8_t *out)
{
	uint8_t padded[2048] = {0};
	size_t plen = (n + 15) / 16 * 16;

	if (n)
		memcpy(padded, pt, n);
	memset(out, 0, 16);
	out[0] = 4;
	wg_put_le32(out + 4, p->receiver);
	wg_put_le64(out + 8, p->send_ctr);
	wg_aead_seal(out + 16, p->send_key, p->send_ctr++, padded, plen, NULL, 0);
	return 32 + plen;
}

/* Decrypts a data message for the peer; the plaintext length or -1. */
static long peer_open(struct peer *p, const uint8_t *d, size_t n, uint8_t *out)
{
	if (n < 32 || d[0] != 4 || wg_le32(d + 4) != p->sender)
		return -1;
	if (wg_aead_open(out, p->recv_key, wg_le64(d + 8), d + 16, n - 16, NULL, 0) != 0)
		return -1;
	return (long)(n - 32);
}

static int setup(void **state)
{
	struct h *h = calloc(1, sizeof(*h));
	struct wg_callbacks cb = {on_send, on_inner};

	wg_key_generate(h->keys.server_priv);
	wg_key_generate(h->keys.client_priv);
	assert_int_equal(wg_keys_derive(&h->keys), 0);
	memcpy(h->p.spriv, h->keys.client_priv, 32);
	memcpy(h->p.spub, h->keys.client_pub, 32);
	memcpy(h->p.server_pub, h->keys.server_pub, 32);
	set_addr(&h->p.addr, "192.0.2.7", 40000);
	h->now = 1000000;
	assert_int_equal(wg_server_new(NULL, &h->keys, &cb, h, &h->s), 0);
	wg_server_set_clock(h->s, fake_now, h);
	wg_server_set_persistent_keepalive(h->s, 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct h *h = *state;

	wg_server_free(h->s);
	free(h);
	return 0;
}

static void input(struct h *h, const uint8_t *d, size_t n)
{
	wg_server_input(h->s, &h->p.addr, d, n);
}

/* Runs a full handshake; the response is checked and consumed from the queue. */
static void handshake(struct h *h)
{
	uint8_t init[WG_INIT_LEN];

	h->nout = 0;
	peer_initiation(&h->p, init);
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 1);
	assert_int_equal(peer_consume_response(&h->p, h->out[0].d, h->out[0].n), 0);
	assert_memory_equal(&h->out[0].to, &h->p.addr, sizeof(struct sockaddr_in));
	h->nout = 0;
}

/* A minimal IPv4 (or IPv6) packet of total length n with a marker byte. */
static void ip_packet(uint8_t *p, size_t n, int version, uint8_t mark)
{
	memset(p, 0, n);
	if (version == 4) {
		p[0] = 0x45;
		p[2] = (uint8_t)(n >> 8);
		p[3] = (uint8_t)n;
		p[9] = 1;
	} else {
		p[0] = 0x60;
		p[4] = (uint8_t)((n - 40) >> 8);
		p[5] = (uint8_t)(n - 40);
		p[6] = 58;
	}
	p[n - 1] = mark;
}

static void peer_send_ip(struct h *h, size_t n, int version, uint8_t mark)
{
	uint8_t ip[1500], d[2048];

	ip_packet(ip, n, version, mark);
	input(h, d, peer_data(&h->p, ip, n, d));
}

static void test_handshake_and_transport(void **state)
{
	struct h *h = *state;
	uint8_t ip[1500], pt[2048];
	long len;

	handshake(h);
	assert_int_equal(wg_server_counters(h->s)->handshakes, 1);
	/* The responder may not send before the initiator confirms the session. */
	ip_packet(ip, 84, 4, 0xaa);
	assert_int_equal(wg_server_send_packet(h->s, ip, 84), -ENOTCONN);
	peer_send_ip(h, 84, 4, 0x11);
	assert_int_equal(h->ninner, 1);
	assert_int_equal(h->inner_len[0], 84);
	assert_int_equal(h->inner[0][83], 0x11);
	assert_int_equal(wg_server_send_packet(h->s, ip, 84), 0);
	assert_int_equal(h->nout, 1);
	assert_int_equal(h->out[0].n, 32 + 96);
	len = peer_open(&h->p, h->out[0].d, h->out[0].n, pt);
	assert_int_equal(len, 96);
	assert_memory_equal(pt, ip, 84);
	/* IPv6 both ways. */
	peer_send_ip(h, 104, 6, 0x66);
	assert_int_equal(h->ninner, 2);
	assert_int_equal(h->inner_len[1], 104);
	assert_int_equal(h->inner[1][0] >> 4, 6);
	ip_packet(ip, 1280, 6, 0x77);
	assert_int_equal(wg_server_send_packet(h->s, ip, 1280), 0);
	len = peer_open(&h->p, h->out[1].d, h->out[1].n, pt);
	assert_int_equal(len, 1280);
	assert_int_equal(pt[1279], 0x77);
	assert_int_equal(wg_le64(h->out[1].d + 8), 1);
	const struct wg_counters *c = wg_server_counters(h->s);
	assert_int_equal(c->rx_packets, 2);
	assert_int_equal(c->rx_bytes, 84 + 104);
	assert_int_equal(c->tx_packets, 2);
	assert_int_equal(c->tx_bytes, 84 + 1280);
	assert_int_equal(wg_server_send_packet(h->s, ip, WG_MAX_INNER + 1), -EMSGSIZE);
}

static void test_replay_and_counters(void **state)
{
	struct h *h = *state;
	uint8_t ip[100], d1[256], d2[256], d3[256];
	size_t n1, n2, n3;

	handshake(h);
	ip_packet(ip, 60, 4, 1);
	n1 = peer_data(&h->p, ip, 60, d1);
	n2 = peer_data(&h->p, ip, 60, d2);
	n3 = peer_data(&h->p, ip, 60, d3);
	input(h, d3, n3);
	input(h, d1, n1); /* out of order, inside the window */
	input(h, d1, n1); /* replayed */
	input(h, d3, n3);
	assert_int_equal(h->ninner, 2);
	assert_int_equal(wg_server_counters(h->s)->rx_replayed, 2);
	/* A forged counter fails authentication and does not move the window. */
	wg_put_le64(d2 + 8, 100000);
	input(h, d2, n2);
	assert_int_equal(wg_server_counters(h->s)->rx_auth_failed, 1);
	wg_put_le64(d2 + 8, 1);
	input(h, d2, n2);
	assert_int_equal(h->ninner, 3);
	/* Too short, garbage inner packet, and a non-IP plaintext. */
	input(h, d2, 31);
	assert_int_equal(wg_server_counters(h->s)->rx_malformed, 1);
	uint8_t junk[20] = {0x99};
	input(h, d1, peer_data(&h->p, junk, sizeof(junk), d1));
	assert_int_equal(wg_server_counters(h->s)->rx_bad_inner, 1);
	assert_int_equal(h->ninner, 3);
}

static void test_mac1_and_unknown_peer(void **state)
{
	struct h *h = *state;
	uint8_t init[WG_INIT_LEN];
	struct peer stranger = h->p;

	peer_initiation(&h->p, init);
	init[120] ^= 1;
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 0);
	assert_int_equal(wg_server_counters(h->s)->handshakes_invalid, 1);
	input(h, init, sizeof(init) - 1);
	assert_int_equal(wg_server_counters(h->s)->rx_malformed, 1);
	/* A valid mac1 over a tampered static key fails decryption. */
	h->now += 1000;
	peer_initiation(&h->p, init);
	init[50] ^= 1;
	uint8_t key[32];
	wg_hash(key, (const uint8_t *)"mac1----", 8, h->p.server_pub, 32);
	wg_mac(init + 116, key, 32, init, 116);
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 0);
	assert_int_equal(wg_server_counters(h->s)->handshakes_invalid, 2);
	/* Another client key is refused. */
	x25519_pair(stranger.spriv, stranger.spub);
	peer_initiation(&stranger, init);
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 0);
	assert_int_equal(wg_server_counters(h->s)->unknown_peer, 1);
	assert_null(wg_server_endpoint(h->s));
	/* Responses and cookie replies are for initiators. */
	init[0] = 2;
	input(h, init, WG_RESP_LEN);
	assert_int_equal(h->nout, 0);
}

static void test_initiation_replay_and_flood(void **state)
{
	struct h *h = *state;
	uint8_t init[WG_INIT_LEN], again[WG_INIT_LEN];

	peer_initiation(&h->p, init);
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 1);
	/* A newer initiation 5 ms later is a flood. */
	peer_initiation(&h->p, again);
	h->now += 5;
	input(h, again, sizeof(again));
	assert_int_equal(wg_server_counters(h->s)->handshakes_rate_limited, 1);
	assert_int_equal(h->nout, 1);
	/* The same initiation again (an old timestamp) is a replay, however late. */
	h->now += 1000;
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 1);
	assert_int_equal(wg_server_counters(h->s)->handshakes_replayed, 1);
	input(h, again, sizeof(again));
	assert_int_equal(h->nout, 2);
}

static void test_cookie_under_load(void **state)
{
	struct h *h = *state;
	uint8_t init[WG_INIT_LEN], key[32], cookie[16];
	struct dgram *r = &h->out[0];

	wg_server_set_handshake_limit(h->s, 0);
	peer_initiation(&h->p, init);
	input(h, init, sizeof(init));
	assert_int_equal(h->nout, 1);
	assert_int_equal(r->n, WG_COOKIE_LEN);
	assert_int_equal(r->d[0], 3);
	assert_int_equal(wg_le32(r->d + 4), h->p.sender);
	assert_int_equal(wg_server_counters(h->s)->cookies_sent, 1);
	assert_int_equal(wg_server_counters(h->s)->handshakes, 0);
	wg_hash(key, (const uint8_t *)"cookie--", 8, h->p.server_pub, 32);
	assert_int_equal(wg_xaead_open(cookie, key, r->d + 8, r->d + 32, 32, h->p.last_mac1, 16),
			 0);
	memcpy(h->p.cookie, cookie, 16);
	h->p.have_cookie = true;
	/* With mac2 the handshake goes through, even though still under load. */
	h->now += 100;
	handshake(h);
	assert_int_equal(wg_server_counters(h->s)->handshakes, 1);
	/* The cookie is bound to the source address. */
	h->now += 100;
	set_addr(&h->p.addr, "192.0.2.7", 40001);
	peer_initiation(&h->p, init);
	input(h, init, sizeof(init));
	assert_int_equal(h->out[0].n, WG_COOKIE_LEN);
	assert_int_equal(wg_server_counters(h->s)->cookies_sent, 2);
	/* Below the limit no mac2 is needed. */
	wg_server_set_handshake_limit(h->s, 100);
	h->p.have_cookie = false;
	h->now += 2000;
	handshake(h);
}

static void test_session_expiry(void **state)
{
	struct h *h = *state;
	uint8_t ip[100];

	handshake(h);
	peer_send_ip(h, 60, 4, 1);
	assert_int_equal(h->ninner, 1);
	h->now += WG_REJECT_AFTER_TIME_MS - 1;
	peer_send_ip(h, 60, 4, 2);
	assert_int_equal(h->ninner, 2);
	h->now += 1;
	peer_send_ip(h, 60, 4, 3);
	assert_int_equal(h->ninner, 2);
	assert_int_equal(wg_server_counters(h->s)->rx_expired, 1);
	ip_packet(ip, 60, 4, 4);
	h->nout = 0;
	assert_int_equal(wg_server_send_packet(h->s, ip, 60), -ENOTCONN);
	assert_int_equal(h->nout, 0);
	wg_server_tick(h->s);
	peer_send_ip(h, 60, 4, 5);
	assert_int_equal(wg_server_counters(h->s)->rx_no_session, 2);
	/* A new handshake brings the session back. */
	handshake(h);
	peer_send_ip(h, 60, 4, 6);
	assert_int_equal(h->ninner, 3);
}

static void test_keepalive(void **state)
{
	struct h *h = *state;
	uint8_t pt[64], ip[100];

	handshake(h);
	peer_send_ip(h, 60, 4, 1);
	h->now += WG_KEEPALIVE_TIMEOUT_MS - 1;
	wg_server_tick(h->s);
	assert_int_equal(h->nout, 0);
	h->now += 1;
	wg_server_tick(h->s);
	assert_int_equal(h->nout, 1);
	assert_int_equal(h->out[0].n, 32);
	assert_int_equal(peer_open(&h->p, h->out[0].d, 32, pt), 0);
	assert_int_equal(wg_server_counters(h->s)->tx_keepalives, 1);
	/* Only once; and not when we answered in time; received keepalives owe nothing. */
	h->now += WG_KEEPALIVE_TIMEOUT_MS * 2;
	wg_server_tick(h->s);
	assert_int_equal(h->nout, 1);
	peer_send_ip(h, 60, 4, 2);
	ip_packet(ip, 60, 4, 3);
	assert_int_equal(wg_server_send_packet(h->s, ip, 60), 0);
	input(h, pt, peer_data(&h->p, NULL, 0, pt));
	assert_int_equal(wg_server_counters(h->s)->rx_keepalives, 1);
	h->now += WG_KEEPALIVE_TIMEOUT_MS;
	wg_server_tick(h->s);
	assert_int_equal(h->nout, 2);
	/* Persistent keepalive: after 25 s without sending anything. */
	wg_server_set_persistent_keepalive(h->s, 25);
	peer_send_ip(h, 60, 4, 4);
	assert_int_equal(wg_server_send_packet(h->s, ip, 60), 0);
	h->now += 24999;
	wg_server_tick(h->s);
	assert_int_equal(h->nout, 3);
	h->now += 1;
	wg_server_tick(h->s);
	assert_int_equal(h->nout, 4);
	assert_int_equal(h->out[3].n, 32);
}

static void test_reinitiation_keeps_old_session(void **state)
{
	struct h *h = *state;
	struct peer old;
	uint8_t ip[100], d[256], pt[256];
	size_t n;

	handshake(h);
	peer_send_ip(h, 60, 4, 1);
	old = h->p;
	h->now += WG_REKEY_AFTER_TIME_MS;
	handshake(h);
	/* Until the peer confirms, we keep sending with the old session. */
	ip_packet(ip, 60, 4, 2);
	assert_int_equal(wg_server_send_packet(h->s, ip, 60), 0);
	assert_int_equal(peer_open(&old, h->out[0].d, h->out[0].n, pt), 64);
	peer_send_ip(h, 60, 4, 3);
	assert_int_equal(h->ninner, 2);
	/* A packet still in flight with the old keys is accepted. */
	ip_packet(ip, 60, 4, 4);
	n = peer_data(&old, ip, 60, d);
	input(h, d, n);
	assert_int_equal(h->ninner, 3);
	assert_int_equal(wg_server_send_packet(h->s, ip, 60), 0);
	assert_int_equal(peer_open(&h->p, h->out[1].d, h->out[1].n, pt), 64);
	/* The old one dies at its own REJECT_AFTER_TIME. */
	h->now += WG_REJECT_AFTER_TIME_MS - WG_REKEY_AFTER_TIME_MS;
	wg_server_tick(h->s);
	input(h, d, peer_data(&old, ip, 60, d));
	assert_int_equal(h->ninner, 3);
	peer_send_ip(h, 60, 4, 5);
	assert_int_equal(h->ninner, 4);
}

static void test_roaming(void **state)
{
	struct h *h = *state;
	uint8_t ip[100], d[256];
	struct sockaddr_storage other;
	const struct sockaddr_in *ep;

	handshake(h);
	peer_send_ip(h, 60, 4, 1);
	set_addr(&other, "198.51.100.9", 5555);
	/* An unauthenticated datagram from elsewhere does not move the endpoint. */
	size_t n = peer_data(&h->p, ip, 60, d);
	d[40] ^= 1;
	wg_server_input(h->s, &other, d, n);
	ep = (const struct sockaddr_in *)wg_server_endpoint(h->s);
	assert_int_equal(ntohs(ep->sin_port), 40000);
	h->p.addr = other;
	peer_send_ip(h, 60, 4, 2);
	assert_int_equal(ntohs(ep->sin_port), 5555);
	assert_int_equal(wg_server_counters(h->s)->roams, 1);
	ip_packet(ip, 60, 4, 3);
	assert_int_equal(wg_server_send_packet(h->s, ip, 60), 0);
	assert_memory_equal(&h->out[h->nout - 1].to, &other, sizeof(struct sockaddr_in));
}

/* With a loop, the earliest protocol deadline is armed as a loop timer. */
static void test_loop_timer(void **state)
{
	struct h *h = *state;
	struct wg_callbacks cb = {on_send, on_inner};
	struct loop *l = loop_new();

	assert_non_null(l);
	wg_server_free(h->s);
	assert_int_equal(wg_server_new(l, &h->keys, &cb, h, &h->s), 0);
	wg_server_set_clock(h->s, fake_now, h);
	wg_server_set_persistent_keepalive(h->s, 0);
	assert_false(loop_timer_armed(&h->s->timer));
	handshake(h);
	assert_true(loop_timer_armed(&h->s->timer));
	peer_send_ip(h, 60, 4, 1);
	assert_true(loop_timer_armed(&h->s->timer));
	assert_true(h->s->timer.due_ms <= loop_now(l) + WG_KEEPALIVE_TIMEOUT_MS);
	wg_server_free(h->s);
	h->s = NULL;
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_handshake_and_transport, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay_and_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mac1_and_unknown_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initiation_replay_and_flood, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cookie_under_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reinitiation_keeps_old_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roaming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loop_timer, setup, teardown),
	};

	if (wg_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
