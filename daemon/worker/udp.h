/* Relayed UDP: recording a conversation as a flow (udp_flow.c), the
 * sockets (udp_io.c) and reverse udp:// (udp_reverse.c).  Runs in a worker;
 * datagrams are untrusted. */
#ifndef SNARE_WORKER_UDP_H
#define SNARE_WORKER_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/loop.h"
#include "flow.pb-c.h"

struct worker_listener;

/* ---- udp_flow.c: recording relayed UDP as a flow ---- */
struct udp_rec;
struct udp_rec *udp_record_start(unsigned mode_index, const struct sockaddr_storage *client,
				 const struct sockaddr_storage *server);
void udp_record(struct udp_rec *r, bool from_client, const uint8_t *d, size_t n);
void udp_record_set_process(struct udp_rec *r, uint32_t pid, const char *name);
/* Local mode: the process set above (0 and "" when none; r may be NULL). */
uint32_t udp_record_process(const struct udp_rec *r, const char **name);
/* Reads the client's first datagrams as a QUIC Initial (quic_peek.h): the
 * flow then carries the hello's version, SNI and ALPN, and is not recorded
 * when the host rules ignore the SNI. */
void udp_record_peek_quic(struct udp_rec *r);
/* The flow is QUIC: its client TLS info says version ("QUICv1"), sni and alpn. */
void udp_record_set_quic(struct udp_rec *r, const char *version, const char *sni, const char *alpn);
/* The flow is one QUIC stream: recorded as a TCP flow (messages with direction). */
void udp_record_set_stream(struct udp_rec *r);
/* Sends the flow and frees r (udp_end or udp_error first). */
void udp_record_finish(struct udp_rec *r, const char *error);
/* A datagram through the udp_start (first one) and udp_message hooks, then
 * recorded: false when it is dropped (or the flow was killed); otherwise
 * *d, *n are what to send, the hooks' bytes owned by *keep (free after). */
bool udp_record_hooked(struct udp_rec *r, bool from_client, const uint8_t **d, size_t *n,
		       uint8_t **keep);
/* For hooks_udp.c: the flow as it stands, handed to fn (it lives until fn
 * returns); whether udp_start is still to run (true once); kill. */
void udp_record_with(struct udp_rec *r, const char *error, void (*fn)(Snare__Flow *f, void *arg),
		     void *arg);
bool udp_record_start_hook(struct udp_rec *r);
void udp_record_kill(struct udp_rec *r);

/* ---- udp_io.c: UDP sockets ---- */
/* The server side of a relayed UDP conversation: a socket connected to dst,
 * watched for replies (on_reply), with an idle timer of UDP_IDLE_MS armed.
 * The fd, or -errno (nothing left open). */
int udp_relay_open(const struct sockaddr *dst, struct loop_io *io, loop_io_fn on_reply,
		   struct loop_timer *idle, loop_timer_fn on_idle, void *arg);
/* Reads up to `max` datagrams from fd into buf[0..cap) and hands each to fn,
 * until the socket has none left (or fails). */
typedef void (*udp_datagram_fn)(void *arg, const union sockaddr_any *from, uint8_t *d, size_t n);
void udp_drain(int fd, uint8_t *buf, size_t cap, int max, udp_datagram_fn fn, void *arg);

/* ---- udp_reverse.c: reverse:udp:// ---- */
int udp_reverse_prepare(void);
void udp_reverse_readable(struct worker_listener *l);
void udp_reverse_stop(void);
/* The resolved target of a reverse udp:// or dtls:// mode; 0 or -ENOENT. */
int udp_reverse_target(unsigned mode_index, union sockaddr_any *out);

#endif
