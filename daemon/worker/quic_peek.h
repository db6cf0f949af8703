/* QUIC seen in relayed UDP (packet modes and transparent UDP): the client's first datagrams are
 * fed to the Initial reader (quic/initial.h) to learn the version, SNI and ALPN, and the host
 * rules (ignore_hosts, allow_hosts) are applied on the SNI (quic_peek.c). The datagrams are
 * relayed unchanged whatever the answer. Runs in a worker; datagrams are untrusted. */
#ifndef SNARE_WORKER_QUIC_PEEK_H
#define SNARE_WORKER_QUIC_PEEK_H

#include <stddef.h>
#include <stdint.h>

enum quic_peek_state {
	QUIC_PEEK_PENDING, /* a QUIC Initial whose ClientHello is not complete yet */
	QUIC_PEEK_QUIC,	   /* QUIC v1/v2 with its hello read; a host to record */
	QUIC_PEEK_IGNORED, /* QUIC to a host the host rules pass through unrecorded */
	QUIC_PEEK_NONE,	   /* not QUIC (or not readable): plain UDP */
};

struct quic_peek;

/* port: the server's, for the host rules. */
struct quic_peek *quic_peek_new(uint16_t port);
void quic_peek_free(struct quic_peek *p);
/* One datagram from the client; client names it in the log line about a malformed Initial
 * (printed at most once a minute). Once the state is no longer PENDING the datagram is not read. */
enum quic_peek_state quic_peek_feed(struct quic_peek *p, const char *client, const uint8_t *d,
				    size_t n);
/* After QUIC: the version ("QUICv1"/"QUICv2"), the server name ("" when none) and the offered
 * ALPNs joined by ","; the strings belong to p. */
void quic_peek_hello(const struct quic_peek *p, const char **version, const char **sni,
		     const char **alpn);

#endif
