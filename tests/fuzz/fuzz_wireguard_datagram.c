/* Fuzz target for the worker's WireGuard server (wireguard): outer datagrams as a peer or an
 * attacker sends them. The input is a list of records [op][len:2][bytes]: raw datagrams from one
 * of two addresses, plaintexts the harness's own initiator encrypts into valid data messages (so
 * the inner-packet checks are reached), clock jumps with timer ticks, handshakes and packets to
 * send. The server must never crash, leak or hand on an inner packet its header does not fit. */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wireguard/wg_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct wg_server *s;
	uint64_t now;
	struct sockaddr_storage a, b;
	uint8_t c[32], h[32], epriv[32], send_key[32];
	uint32_t sender, receiver;
	uint64_t ctr, ts;
	bool session;
	uint8_t resp[WG_RESP_LEN];
	bool have_resp;
};

static struct wg_keys keys;

static void on_send(void *arg, const struct sockaddr_storage *to, const uint8_t *d, size_t n)
{
	struct fz *f = arg;

	assert(n >= WG_DATA_MIN_LEN && n <= WG_BUF_LEN);
	if (n == WG_RESP_LEN && d[0] == WG_MSG_RESPONSE) {
		memcpy(f->resp, d, n);
		f->have_resp = true;
	}
}

static void on_inner(void *arg, const uint8_t *ip, size_t n)
{
	assert(n >= 20 && (ip[0] >> 4 == 4 || ip[0] >> 4 == 6));
	if (ip[0] >> 4 == 4)
		assert(((size_t)ip[2] << 8 | ip[3]) == n);
	else
		assert(40 + ((size_t)ip[4] << 8 | ip[5]) == n);
}

static uint64_t fz_now(void *arg)
{
	return ((struct fz *)arg)->now;
}

static void mix(uint8_t h[32], const uint8_t *d, size_t n)
{
	wg_hash(h, h, 32, d, n);
}

/* The initiator's side of the handshake (whitepaper §5.4.2-3), deterministic but for the
 * server's ephemeral key. */
static void handshake(struct fz *f)
{
	static const char cons[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char id[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t msg[WG_INIT_LEN] = {1}, k[32], ss[32], epub[32], ts[12] = {0}, mk[32], t[32];
	uint8_t zero[32] = {0}, recv[32], empty[1];

	wg_hash(f->c, (const uint8_t *)cons, strlen(cons), NULL, 0);
	wg_hash(f->h, f->c, 32, (const uint8_t *)id, strlen(id));
	mix(f->h, keys.server_pub, 32);
	memset(f->epriv, 0x41 + (int)(f->ts & 15), 32);
	crypto_scalarmult_base(epub, f->epriv);
	f->sender = (uint32_t)f->ts + 7;
	wg_put_le32(msg + 4, f->sender);
	memcpy(msg + 8, epub, 32);
	wg_kdf(f->c, NULL, NULL, f->c, epub, 32);
	mix(f->h, epub, 32);
	if (crypto_scalarmult(ss, f->epriv, keys.server_pub) != 0)
		return;
	wg_kdf(f->c, k, NULL, f->c, ss, 32);
	wg_aead_seal(msg + 40, k, 0, keys.client_pub, 32, f->h, 32);
	mix(f->h, msg + 40, 48);
	wg_kdf(f->c, k, NULL, f->c, wg_dh(ss, keys.client_priv, keys.server_pub) ? zero : ss, 32);
	f->ts++;
	ts[7] = (uint8_t)f->ts;
	ts[6] = (uint8_t)(f->ts >> 8);
	ts[0] = 0x40;
	wg_aead_seal(msg + 88, k, 0, ts, 12, f->h, 32);
	mix(f->h, msg + 88, 28);
	wg_hash(mk, (const uint8_t *)"mac1----", 8, keys.server_pub, 32);
	wg_mac(msg + 116, mk, 32, msg, 116);
	f->have_resp = false;
	wg_server_input(f->s, &f->a, msg, sizeof(msg));
	if (!f->have_resp)
		return;
	const uint8_t *re = f->resp + 12;
	wg_kdf(f->c, NULL, NULL, f->c, re, 32);
	mix(f->h, re, 32);
	assert(crypto_scalarmult(ss, f->epriv, re) == 0);
	wg_kdf(f->c, NULL, NULL, f->c, ss, 32);
	assert(crypto_scalarmult(ss, keys.client_priv, re) == 0);
	wg_kdf(f->c, NULL, NULL, f->c, ss, 32);
	wg_kdf(f->c, t, k, f->c, zero, 32);
	mix(f->h, t, 32);
	assert(wg_aead_open(empty, k, 0, f->resp + 44, 16, f->h, 32) == 0);
	wg_kdf(f->send_key, recv, NULL, f->c, NULL, 0);
	f->receiver = wg_le32(f->resp + 4);
	f->ctr = 0;
	f->session = true;
}

static void send_plain(struct fz *f, const uint8_t *p, size_t n, bool raw_counter)
{
	static uint8_t buf[WG_DATA_MIN_LEN + 4096];
	uint64_t ctr = f->ctr++;

	if (!f->session || n > 4096)
		return;
	if (raw_counter && n >= 2)
		ctr = (uint64_t)p[0] << 8 | p[1];
	memset(buf, 0, WG_DATA_HDR_LEN);
	buf[0] = WG_MSG_DATA;
	wg_put_le32(buf + 4, f->receiver);
	wg_put_le64(buf + 8, ctr);
	wg_aead_seal(buf + WG_DATA_HDR_LEN, f->send_key, ctr, p, n, NULL, 0);
	wg_server_input(f->s, &f->a, buf, WG_DATA_MIN_LEN + n);
}

static void set_addr(struct sockaddr_storage *ss, int family, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(0xc0000207);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr.s6_addr[15] = 1;
	}
}

static void record(struct fz *f, uint8_t op, const uint8_t *p, size_t n)
{
	switch (op & 7) {
	case 0:
		wg_server_input(f->s, &f->a, p, n);
		break;
	case 1:
		wg_server_input(f->s, &f->b, p, n);
		break;
	case 2:
	case 3:
		send_plain(f, p, n, op & 1);
		break;
	case 4:
		f->now += (uint64_t)n * 997;
		wg_server_tick(f->s);
		break;
	case 5:
		wg_server_set_handshake_limit(f->s, n ? p[0] : 100);
		handshake(f);
		break;
	default:
		(void)wg_server_send_packet(f->s, p, n);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_callbacks cb = {on_send, on_inner};
	static struct fz f;

	if (!keys.server_pub[0]) {
		assert(wg_crypto_init() == 0);
		memset(keys.server_priv, 0x11, 32);
		memset(keys.client_priv, 0x22, 32);
		assert(wg_keys_derive(&keys) == 0);
	}
	memset(&f, 0, sizeof(f));
	f.now = 5000;
	set_addr(&f.a, AF_INET, 51000);
	set_addr(&f.b, AF_INET6, 52000);
	assert(wg_server_new(NULL, &keys, &cb, &f, &f.s) == 0);
	wg_server_set_clock(f.s, fz_now, &f);
	while (size >= 3) {
		size_t n = (size_t)data[1] << 8 | data[2];
		uint8_t op = data[0];
		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		record(&f, op, data, n);
		data += n;
		size -= n;
	}
	wg_server_free(f.s);
	return 0;
}
