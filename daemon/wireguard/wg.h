/* Runs in the worker of a `wireguard` mode. A WireGuard server for exactly one peer (the client
 * key of the key file): it trusts nothing in the outer datagrams, answers handshakes as the
 * responder, decrypts transport data into IP packets for the network stack and encrypts the
 * stack's packets back towards the peer's last authenticated endpoint. */
#ifndef SNARE_WIREGUARD_WG_H
#define SNARE_WIREGUARD_WG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/util.h"

struct loop;
struct wg_server;

#define WG_KEY_LEN 32
/* The largest IP packet wg_server_send_packet accepts (as mitmproxy: 65535 - 80). */
#define WG_MAX_INNER 65455
/* Room for the text form of any endpoint host (an IPv6 literal). */
#define WG_HOST_MAX 64

struct wg_keys {
	uint8_t server_priv[WG_KEY_LEN], server_pub[WG_KEY_LEN];
	uint8_t client_priv[WG_KEY_LEN], client_pub[WG_KEY_LEN];
};

struct wg_callbacks {
	/* An outer datagram to the peer's endpoint (or to the sender of a handshake). */
	void (*send_datagram)(void *arg, const struct sockaddr_storage *to, const uint8_t *d,
			      size_t n);
	/* A decrypted IP packet (v4 or v6, its length checked against its header). */
	void (*inner_packet)(void *arg, const uint8_t *ip, size_t n);
};

struct wg_counters {
	uint64_t rx_datagrams, rx_malformed;
	uint64_t handshakes, handshakes_invalid, handshakes_replayed, handshakes_rate_limited;
	uint64_t unknown_peer, cookies_sent;
	uint64_t rx_packets, rx_bytes, rx_keepalives, rx_replayed, rx_no_session, rx_expired;
	uint64_t rx_auth_failed, rx_bad_inner;
	uint64_t tx_packets, tx_bytes, tx_keepalives, tx_no_session, tx_too_big;
	uint64_t roams;
};

/* Loads the OpenSSL algorithms and libsodium; call before any sandbox. 0 or -ENOSYS. */
int wg_crypto_init(void) SNARE_MUST_CHECK;

/* k must hold both private and public keys (wg_keys_derive fills the public ones). l may be NULL
 * (tests): then no loop timer is armed and wg_server_tick drives the timers. */
int wg_server_new(struct loop *l, const struct wg_keys *k, const struct wg_callbacks *cb, void *arg,
		  struct wg_server **out) SNARE_MUST_CHECK;
void wg_server_free(struct wg_server *s);

/* One outer UDP datagram from `from`. Bad datagrams are counted and dropped. */
void wg_server_input(struct wg_server *s, const struct sockaddr_storage *from, const uint8_t *d,
		     size_t n);
/* Encrypts one IP packet towards the client. 0, -ENOTCONN without a usable session or endpoint,
 * -EMSGSIZE above WG_MAX_INNER. */
int wg_server_send_packet(struct wg_server *s, const uint8_t *ip, size_t n) SNARE_MUST_CHECK;
const struct wg_counters *wg_server_counters(const struct wg_server *s);

/* Handshake initiations per second above which mac2 (a cookie) is required; default 100.
 * 0 means always under load. */
void wg_server_set_handshake_limit(struct wg_server *s, unsigned per_second);
/* Persistent keepalive interval in seconds (mitmproxy: 25, the default); 0 turns it off. */
void wg_server_set_persistent_keepalive(struct wg_server *s, unsigned seconds);
/* Replaces the clock (milliseconds, monotonic); for tests. */
void wg_server_set_clock(struct wg_server *s, uint64_t (*now_ms)(void *arg), void *arg);
/* Runs the protocol timers that are due (keepalives, key expiry, cookie secret rotation). The
 * loop timer calls it; tests with a fake clock call it by hand. */
void wg_server_tick(struct wg_server *s);
/* The peer's current endpoint, or NULL before the first authenticated datagram. */
const struct sockaddr_storage *wg_server_endpoint(const struct wg_server *s);

/* keys.c: public keys from the private ones (clamped X25519). 0 or -EINVAL. */
int wg_keys_derive(struct wg_keys *k) SNARE_MUST_CHECK;
/* A fresh clamped private key. */
void wg_key_generate(uint8_t priv[WG_KEY_LEN]);
/* Standard base64 of a key (44 characters and a NUL) and back (0 or -EINVAL). */
void wg_key_to_base64(const uint8_t key[WG_KEY_LEN], char out[45]);
int wg_key_from_base64(const char *b64, size_t len, uint8_t key[WG_KEY_LEN]) SNARE_MUST_CHECK;

/* keyfile.c: loads the JSON key file at path ("~/" expands to $HOME), creating it (0600, parent
 * directories 0700) when missing. On error returns -errno or -EINVAL and writes
 * "Invalid configuration file (<path>): <reason>" into err. */
int wg_keyfile_load(const char *path, struct wg_keys *k, char *err, size_t errlen) SNARE_MUST_CHECK;

/* clientconf.c: the client configuration (mitmproxy's, plus ::/0 in AllowedIPs) for the
 * Endpoint host:port, framed by lines of 60 '-'; malloc'd. */
char *wg_clientconf_text(const struct wg_keys *k, const char *host, uint16_t port);
char *wg_clientconf_framed(const struct wg_keys *k, const char *host, uint16_t port);
/* The text (wg_clientconf_text, unframed) as a QR code drawn with half blocks for a terminal
 * (light modules drawn, for dark backgrounds); malloc'd,
 * NULL when it cannot be encoded. */
char *wg_clientconf_qr(const char *text);
/* The Endpoint host for a listen host: itself, unless empty, 0.0.0.0 or ::; then the local
 * address routing would use towards the Internet (no packet is sent), else 127.0.0.1. */
void wg_endpoint_host(const char *listen_host, char out[WG_HOST_MAX]);

#endif
