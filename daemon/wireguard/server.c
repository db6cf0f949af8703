/* Runs in the worker of a wireguard mode. The server's lifecycle, the dispatch of outer
 * datagrams, the responder's handshake (mac1 on every initiation, cookies under load, timestamp
 * and flood checks) and the protocol timers. Datagrams are untrusted until authenticated; the
 * peer's endpoint is only learned from authenticated ones. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "wireguard/wg_int.h"

#define WG_DEFAULT_HANDSHAKE_LIMIT 100
#define WG_DEFAULT_PERSISTENT_S 25
#define WG_LOG_GAP_MS 10000

uint64_t wg_now(const struct wg_server *s)
{
	if (s->now_fn)
		return s->now_fn(s->now_arg);
	return s->loop ? loop_now(s->loop) : clock_ms();
}

static void on_timer(struct loop_timer *t)
{
	wg_server_tick(t->arg);
}

int wg_server_new(struct loop *l, const struct wg_keys *k, const struct wg_callbacks *cb, void *arg,
		  struct wg_server **out)
{
	struct wg_server *s;
	int r;

	*out = NULL;
	r = wg_crypto_init();
	if (r != 0)
		return r;
	s = xcalloc(1, sizeof(*s));
	r = wg_noise_static_init(&s->st, k);
	if (r != 0) {
		wg_server_free(s);
		return r;
	}
	s->loop = l;
	s->cb = *cb;
	s->arg = arg;
	s->handshake_limit = WG_DEFAULT_HANDSHAKE_LIMIT;
	s->persistent_ms = WG_DEFAULT_PERSISTENT_S * 1000u;
	loop_timer_init(&s->timer, on_timer, s);
	*out = s;
	return 0;
}

void wg_server_free(struct wg_server *s)
{
	if (!s)
		return;
	if (s->loop)
		loop_timer_cancel(s->loop, &s->timer);
	wg_wipe(s, sizeof(*s));
	free(s);
}

const struct wg_counters *wg_server_counters(const struct wg_server *s)
{
	return &s->ctr;
}

const struct sockaddr_storage *wg_server_endpoint(const struct wg_server *s)
{
	return s->have_endpoint ? &s->endpoint : NULL;
}

void wg_server_set_handshake_limit(struct wg_server *s, unsigned per_second)
{
	s->handshake_limit = per_second;
}

void wg_server_set_persistent_keepalive(struct wg_server *s, unsigned seconds)
{
	s->persistent_ms = seconds * 1000u;
	if (!seconds)
		s->persistent_due = 0;
	wg_schedule(s);
}

void wg_server_set_clock(struct wg_server *s, uint64_t (*now_ms)(void *arg), void *arg)
{
	s->now_fn = now_ms;
	s->now_arg = arg;
}

/* Logs at most once per WG_LOG_GAP_MS for each kind (*last), so a flood cannot fill the log. */
void wg_log_limited(struct wg_server *s, uint64_t *last, const char *msg)
{
	uint64_t now = wg_now(s);

	if (*last && now - *last < WG_LOG_GAP_MS)
		return;
	*last = now ? now : 1;
	log_info("%s", msg);
}

void wg_learn_endpoint(struct wg_server *s, const struct sockaddr_storage *from)
{
	if (s->have_endpoint &&
	    addr_equal((const struct sockaddr *)&s->endpoint, (const struct sockaddr *)from))
		return;
	if (s->have_endpoint)
		s->ctr.roams++;
	s->endpoint = *from;
	s->have_endpoint = true;
}

/* The cookie for a source address: MAC(secret, ip || port), the secret renewed every 2 minutes. */
static void cookie_for(struct wg_server *s, const struct sockaddr_storage *from,
		       uint8_t out[WG_MAC_LEN])
{
	uint8_t a[18];
	size_t alen = 0;
	uint64_t now = wg_now(s);

	if (!s->have_cookie_secret || now - s->cookie_secret_ms >= WG_COOKIE_SECRET_MS) {
		wg_random(s->cookie_secret, sizeof(s->cookie_secret));
		s->cookie_secret_ms = now;
		s->have_cookie_secret = true;
	}
	if (from->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)from;
		memcpy(a, &sin6->sin6_addr, 16);
		memcpy(a + 16, &sin6->sin6_port, 2);
		alen = 18;
	} else if (from->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
		memcpy(a, &sin->sin_addr, 4);
		memcpy(a + 4, &sin->sin_port, 2);
		alen = 6;
	}
	wg_mac(out, s->cookie_secret, sizeof(s->cookie_secret), a, alen);
}

/* Counts this initiation; true when the last second saw more than the limit. */
static bool under_load(struct wg_server *s)
{
	uint64_t now = wg_now(s);

	if (s->load_count == 0 || now - s->load_window_ms >= 1000) {
		s->load_window_ms = now;
		s->load_count = 0;
	}
	if (s->load_count < UINT32_MAX)
		s->load_count++;
	return s->load_count > s->handshake_limit;
}

static void send_cookie_reply(struct wg_server *s, const struct sockaddr_storage *from,
			      const uint8_t *init)
{
	uint8_t msg[WG_COOKIE_LEN] = {WG_MSG_COOKIE}, cookie[WG_MAC_LEN];

	cookie_for(s, from, cookie);
	memcpy(msg + WG_COOKIE_OFF_RECEIVER, init + WG_INIT_OFF_SENDER, 4);
	wg_random(msg + WG_COOKIE_OFF_NONCE, WG_COOKIE_NONCE_LEN);
	wg_xaead_seal(msg + WG_COOKIE_OFF_COOKIE, s->st.cookie_key, msg + WG_COOKIE_OFF_NONCE,
		      cookie, sizeof(cookie), init + WG_INIT_OFF_MAC1, WG_MAC_LEN);
	s->ctr.cookies_sent++;
	s->cb.send_datagram(s->arg, from, msg, sizeof(msg));
}

/* mac1 always; under load also mac2, answering a missing or stale one with a cookie. */
static bool check_macs(struct wg_server *s, const struct sockaddr_storage *from, const uint8_t *d)
{
	uint8_t mac[WG_MAC_LEN], cookie[WG_MAC_LEN];

	wg_mac(mac, s->st.mac1_key, WG_HASH_LEN, d, WG_INIT_OFF_MAC1);
	if (!wg_ct_equal(mac, d + WG_INIT_OFF_MAC1, WG_MAC_LEN)) {
		s->ctr.handshakes_invalid++;
		return false;
	}
	if (!under_load(s))
		return true;
	cookie_for(s, from, cookie);
	wg_mac(mac, cookie, sizeof(cookie), d, WG_INIT_OFF_MAC2);
	if (wg_ct_equal(mac, d + WG_INIT_OFF_MAC2, WG_MAC_LEN))
		return true;
	send_cookie_reply(s, from, d);
	return false;
}

/* A fresh local index, distinct from the ones in use. */
static uint32_t new_index(const struct wg_server *s)
{
	uint32_t idx;

	do {
		wg_random(&idx, sizeof(idx));
	} while ((s->current.valid && idx == s->current.local_index) ||
		 (s->previous.valid && idx == s->previous.local_index) ||
		 (s->next.valid && idx == s->next.local_index));
	return idx;
}

/* Whitepaper §5.1: a newer timestamp than any before, and not too often. */
static bool initiation_fresh(struct wg_server *s, const struct wg_noise_init *in)
{
	uint64_t now = wg_now(s);

	if (s->have_init && memcmp(in->tai64n, s->last_tai64n, WG_TAI64N_LEN) <= 0) {
		s->ctr.handshakes_replayed++;
		return false;
	}
	if (s->have_init && now - s->last_init_ms < WG_INITIATION_MIN_GAP_MS) {
		s->ctr.handshakes_rate_limited++;
		return false;
	}
	memcpy(s->last_tai64n, in->tai64n, WG_TAI64N_LEN);
	s->last_init_ms = now;
	s->have_init = true;
	return true;
}

/* Answers a consumed initiation; the new keypair waits in `next` for the peer's first packet. */
static void respond(struct wg_server *s, const struct sockaddr_storage *from,
		    struct wg_noise_init *in)
{
	uint8_t msg[WG_RESP_LEN];
	struct wg_keypair *kp = &s->next;
	uint32_t idx = new_index(s);

	wg_wipe(&s->previous, sizeof(s->previous));
	wg_wipe(kp, sizeof(*kp));
	if (wg_noise_create_response(&s->st, in, idx, msg, &kp->keys) != 0) {
		wg_wipe(kp, sizeof(*kp));
		s->ctr.handshakes_invalid++;
		return;
	}
	kp->valid = true;
	kp->local_index = idx;
	kp->remote_index = in->sender;
	kp->created_ms = wg_now(s);
	wg_replay_init(&kp->replay);
	s->ctr.handshakes++;
	wg_learn_endpoint(s, from);
	s->cb.send_datagram(s->arg, from, msg, sizeof(msg));
	wg_sent_authenticated(s);
}

static void on_initiation(struct wg_server *s, const struct sockaddr_storage *from,
			  const uint8_t *d, size_t n)
{
	struct wg_noise_init in;
	int r;

	if (n != WG_INIT_LEN) {
		s->ctr.rx_malformed++;
		return;
	}
	if (!check_macs(s, from, d))
		return;
	r = wg_noise_consume_initiation(&s->st, d, &in);
	if (r == -EPERM) {
		s->ctr.unknown_peer++;
		wg_log_limited(s, &s->log_unknown_ms,
			       "Received WireGuard packet from unknown peer.");
	} else if (r != 0) {
		s->ctr.handshakes_invalid++;
	} else if (initiation_fresh(s, &in)) {
		respond(s, from, &in);
	}
	wg_wipe(&in, sizeof(in));
}

void wg_server_input(struct wg_server *s, const struct sockaddr_storage *from, const uint8_t *d,
		     size_t n)
{
	s->ctr.rx_datagrams++;
	if (n < 4 || d[1] || d[2] || d[3]) {
		s->ctr.rx_malformed++;
		return;
	}
	switch (d[0]) {
	case WG_MSG_INITIATION:
		on_initiation(s, from, d, n);
		break;
	case WG_MSG_DATA:
		wg_data_input(s, from, d, n);
		break;
	default:
		/* Responses and cookie replies are for initiators; we never initiate. */
		s->ctr.rx_malformed++;
		break;
	}
	wg_schedule(s);
}

/* Keypairs are useless after REJECT_AFTER_TIME: wipe them. */
static void expire_keypairs(struct wg_server *s, uint64_t now)
{
	struct wg_keypair *all[] = {&s->current, &s->previous, &s->next};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i]->valid && now - all[i]->created_ms >= WG_REJECT_AFTER_TIME_MS)
			wg_wipe(all[i], sizeof(*all[i]));
}

void wg_server_tick(struct wg_server *s)
{
	uint64_t now = wg_now(s);

	expire_keypairs(s, now);
	if ((s->keepalive_due && now >= s->keepalive_due) ||
	    (s->persistent_due && now >= s->persistent_due)) {
		s->keepalive_due = 0;
		s->persistent_due = 0;
		if (wg_data_send(s, NULL, 0) == 0)
			s->ctr.tx_keepalives++;
	}
	wg_schedule(s);
}

static void earliest(uint64_t *best, uint64_t t)
{
	if (t && (!*best || t < *best))
		*best = t;
}

void wg_schedule(struct wg_server *s)
{
	const struct wg_keypair *all[] = {&s->current, &s->previous, &s->next};
	uint64_t due = 0, now;

	if (!s->loop)
		return;
	earliest(&due, s->keepalive_due);
	earliest(&due, s->persistent_due);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i]->valid)
			earliest(&due, all[i]->created_ms + WG_REJECT_AFTER_TIME_MS);
	loop_timer_cancel(s->loop, &s->timer);
	if (!due)
		return;
	now = wg_now(s);
	loop_timer_arm(s->loop, &s->timer, due > now ? due - now : 0);
}
