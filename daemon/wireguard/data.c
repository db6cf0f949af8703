/* Runs in the worker of a wireguard mode. Transport data (whitepaper §5.4.6): decrypts the
 * peer's packets after the replay window's check, confirms a fresh session on its first packet,
 * checks each inner IP header's length before handing it on, and encrypts the stack's packets
 * (padded to 16 bytes) with the current session. Everything received is untrusted until its tag
 * verifies. */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "wireguard/wg_int.h"

static struct wg_keypair *find_keypair(struct wg_server *s, uint32_t idx)
{
	struct wg_keypair *all[] = {&s->current, &s->next, &s->previous};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i]->valid && all[i]->local_index == idx)
			return all[i];
	return NULL;
}

static bool keypair_expired(const struct wg_server *s, const struct wg_keypair *kp)
{
	return wg_now(s) - kp->created_ms >= WG_REJECT_AFTER_TIME_MS;
}

bool wg_keypair_usable(const struct wg_server *s, const struct wg_keypair *kp)
{
	return kp->valid && !keypair_expired(s, kp) && kp->send_counter < WG_REJECT_AFTER_MESSAGES;
}

/* The peer used the answered keypair: it becomes current, the old current previous. */
static struct wg_keypair *confirm_next(struct wg_server *s)
{
	s->previous = s->current;
	s->current = s->next;
	wg_wipe(&s->next, sizeof(s->next));
	return &s->current;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The inner packet's length from its IPv4 or IPv6 header, or 0 when it is not a packet. */
static size_t inner_length(const uint8_t *p, size_t n)
{
	size_t len = 0;

	if (n >= 20 && p[0] >> 4 == 4)
		len = be16(p + 2) >= 20 ? be16(p + 2) : 0;
	else if (n >= 40 && p[0] >> 4 == 6)
		len = 40 + (size_t)be16(p + 4);
	return len <= n ? len : 0;
}

static void deliver(struct wg_server *s, size_t plen)
{
	size_t len;

	if (plen == 0) {
		s->ctr.rx_keepalives++;
		return;
	}
	if (!s->keepalive_due)
		s->keepalive_due = wg_now(s) + WG_KEEPALIVE_TIMEOUT_MS;
	len = inner_length(s->rx, plen);
	if (!len) {
		s->ctr.rx_bad_inner++;
		return;
	}
	s->ctr.rx_packets++;
	s->ctr.rx_bytes += len;
	s->cb.inner_packet(s->arg, s->rx, len);
}

static void no_session(struct wg_server *s)
{
	s->ctr.rx_no_session++;
	wg_log_limited(s, &s->log_nosession_ms,
		       "No current session for incoming WireGuard packet: Wait for the next "
		       "session handshake or reconnect your client.");
}

void wg_data_input(struct wg_server *s, const struct sockaddr_storage *from, const uint8_t *d,
		   size_t n)
{
	struct wg_keypair *kp;
	uint64_t counter;
	size_t plen;

	if (n < WG_DATA_MIN_LEN || n - WG_DATA_MIN_LEN > WG_BUF_LEN) {
		s->ctr.rx_malformed++;
		return;
	}
	kp = find_keypair(s, wg_le32(d + 4));
	if (!kp || keypair_expired(s, kp)) {
		s->ctr.rx_expired += kp != NULL;
		no_session(s);
		return;
	}
	counter = wg_le64(d + 8);
	if (!wg_replay_check(&kp->replay, counter)) {
		s->ctr.rx_replayed++;
		return;
	}
	plen = n - WG_DATA_MIN_LEN;
	if (wg_aead_open(s->rx, kp->keys.recv, counter, d + WG_DATA_HDR_LEN, n - WG_DATA_HDR_LEN,
			 NULL, 0) != 0) {
		s->ctr.rx_auth_failed++;
		return;
	}
	if (!wg_replay_accept(&kp->replay, counter)) {
		s->ctr.rx_replayed++;
		return;
	}
	if (kp == &s->next)
		kp = confirm_next(s);
	wg_learn_endpoint(s, from);
	if (s->persistent_ms)
		s->persistent_due = wg_now(s) + s->persistent_ms;
	deliver(s, plen);
}

void wg_sent_authenticated(struct wg_server *s)
{
	s->keepalive_due = 0;
	s->persistent_due = s->persistent_ms ? wg_now(s) + s->persistent_ms : 0;
}

int wg_data_send(struct wg_server *s, const uint8_t *pt, size_t n)
{
	struct wg_keypair *kp = &s->current;
	size_t padded = (n + 15) & ~(size_t)15;
	uint64_t counter;

	if (!wg_keypair_usable(s, kp) || !s->have_endpoint || padded > WG_BUF_LEN - 32)
		return -ENOTCONN;
	counter = kp->send_counter++;
	if (n)
		memcpy(s->pad, pt, n);
	memset(s->pad + n, 0, padded - n);
	memset(s->tx, 0, WG_DATA_HDR_LEN);
	s->tx[0] = WG_MSG_DATA;
	wg_put_le32(s->tx + 4, kp->remote_index);
	wg_put_le64(s->tx + 8, counter);
	wg_aead_seal(s->tx + WG_DATA_HDR_LEN, kp->keys.send, counter, s->pad, padded, NULL, 0);
	s->cb.send_datagram(s->arg, &s->endpoint, s->tx, WG_DATA_MIN_LEN + padded);
	wg_sent_authenticated(s);
	return 0;
}

int wg_server_send_packet(struct wg_server *s, const uint8_t *ip, size_t n)
{
	int r;

	if (n > WG_MAX_INNER) {
		s->ctr.tx_too_big++;
		return -EMSGSIZE;
	}
	r = wg_data_send(s, ip, n);
	if (r != 0) {
		s->ctr.tx_no_session++;
	} else {
		s->ctr.tx_packets++;
		s->ctr.tx_bytes += n;
	}
	wg_schedule(s);
	return r;
}
