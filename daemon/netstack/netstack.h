/* Runs in the worker (tun, wireguard and local modes). Trusts nothing in the packets it is fed:
 * a userspace IPv4/IPv6 stack that answers ICMP echo, delivers UDP datagrams and accepts TCP
 * connections to ANY address and port, impersonating every destination. Packets in, connections
 * out; single-threaded, timers on the worker's loop. */
#ifndef SNARE_NETSTACK_H
#define SNARE_NETSTACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct loop;
struct ns_stack;
struct ns_tcp;

/* Limits (bounds on everything a peer can make us hold). */
#define NS_MTU_DEFAULT 1420
#define NS_TCP_RCVBUF (256 * 1024) /* per connection, receive side */
#define NS_TCP_SNDBUF (256 * 1024) /* per connection, send side */
#define NS_TCP_MAX_CONNS 16384	   /* every state, TIME_WAIT included */
#define NS_TCP_MAX_HALF_OPEN 1024  /* SYN_RCVD; more SYNs are dropped */
#define NS_TCP_IDLE_MS 60000	   /* nothing heard for this long: reset */
#define NS_TCP_KEEPALIVE_MS 28000  /* a keepalive probe after this much quiet */
#define NS_TCP_TIME_WAIT_MS 30000
#define NS_UDP_MAX_FLOWS 4096
#define NS_UDP_IDLE_MS 60000
#define NS_FRAG_MAX_DATAGRAMS 64 /* IPv4 datagrams being reassembled at once */
#define NS_FRAG_TIMEOUT_MS 30000

struct ns_callbacks {
	/* A raw IP packet to send out (to the TUN / WireGuard); pkt is valid during the call. */
	void (*output)(void *arg, const uint8_t *pkt, size_t len);
	/* A new connection reached ESTABLISHED; src is the peer, dst its original destination.
	 * The callee owns c until ns_tcp_close/ns_tcp_abort; it sets callbacks with
	 * ns_tcp_set_callbacks, or closes it at once. */
	void (*tcp_accept)(void *arg, struct ns_tcp *c, const struct sockaddr_storage *src,
			   const struct sockaddr_storage *dst);
	void (*udp_datagram)(void *arg, const struct sockaddr_storage *src,
			     const struct sockaddr_storage *dst, const uint8_t *data, size_t len);
	/* Optional: the UDP flow src -> dst saw no datagram either way for NS_UDP_IDLE_MS, or was
	 * evicted because the flow table was full. */
	void (*udp_closed)(void *arg, const struct sockaddr_storage *src,
			   const struct sockaddr_storage *dst);
};

/* Per connection, set after accept. readable: data or the peer's FIN can be read (recv until
 * -EAGAIN). writable: ns_tcp_send refused or cut short, and space is free again. closed: the
 * connection is over (0: both FINs exchanged and acknowledged; -ECONNRESET: reset by the peer;
 * -ETIMEDOUT: retransmission or idle timeout); the handle stays valid until ns_tcp_close. */
struct ns_tcp_callbacks {
	void (*readable)(void *arg);
	void (*writable)(void *arg);
	void (*closed)(void *arg, int err);
};

struct ns_counters {
	uint64_t rx_packets, tx_packets;
	uint64_t bad_checksum, bad_packet, unsupported; /* dropped on input */
	uint64_t frag_reassembled, frag_dropped;
	uint64_t icmp_echo;
	uint64_t udp_in, udp_out, udp_flows_expired;
	uint64_t tcp_accepted, tcp_syn_dropped, tcp_rst_sent, tcp_rst_rcvd, tcp_timeouts;
	uint64_t retransmits, fast_retransmits, zero_window_probes, keepalives, ooo_dropped;
	uint64_t tcp_conns, tcp_half_open, udp_flows; /* current counts, not totals */
};

/* Creates a stack on loop l; cb and arg are kept. 0 or -errno. */
int ns_new(struct loop *l, const struct ns_callbacks *cb, void *arg, struct ns_stack **out);
/* Frees the stack and every connection without callbacks; handles become invalid. Never call
 * it from one of the stack's callbacks. */
void ns_free(struct ns_stack *s);
/* One IP packet (v4 or v6), as read from the TUN / WireGuard. */
void ns_input(struct ns_stack *s, const uint8_t *pkt, size_t len);
/* Advances the stack's clock to now_ms (never backwards) and runs the timers due. The loop does
 * this by itself; tests drive a fake clock with it, starting from loop_now(). */
void ns_tick(struct ns_stack *s, uint64_t now_ms);
const struct ns_counters *ns_counters(const struct ns_stack *s);

void ns_tcp_set_callbacks(struct ns_tcp *c, const struct ns_tcp_callbacks *cb, void *arg);
/* Bytes read; 0 after the peer's FIN once all data was read; -EAGAIN; -ECONNRESET or
 * -ETIMEDOUT once the connection failed. */
ssize_t ns_tcp_recv(struct ns_tcp *c, uint8_t *buf, size_t len);
/* Bytes queued (possibly fewer than len); -EAGAIN when the send buffer is full (writable
 * follows); -EPIPE after ns_tcp_shutdown_write; -ECONNRESET/-ETIMEDOUT after failure. */
ssize_t ns_tcp_send(struct ns_tcp *c, const uint8_t *buf, size_t len);
/* Bytes queued but not yet acknowledged by the peer. */
size_t ns_tcp_unacked(const struct ns_tcp *c);
/* Sends FIN after the queued data. */
void ns_tcp_shutdown_write(struct ns_tcp *c);
/* Releases the handle. Graceful (FIN after queued data) unless received data is left unread,
 * then like ns_tcp_abort. The stack finishes the close on its own. */
void ns_tcp_close(struct ns_tcp *c);
/* Releases the handle and resets the connection (RST). */
void ns_tcp_abort(struct ns_tcp *c);

/* A reply datagram: src is the original destination we impersonate, dst the peer. Addresses may
 * be v4-mapped IPv6. 0, -EAFNOSUPPORT (mixed or unknown families) or -EMSGSIZE. */
int ns_udp_send(struct ns_stack *s, const struct sockaddr_storage *src,
		const struct sockaddr_storage *dst, const uint8_t *data, size_t len);

#ifdef SNARE_TEST_HOOKS
/* Makes ISNs, IP ids and hashing reproducible (fuzzing). */
void ns_test_seed(struct ns_stack *s, uint64_t seed);
#endif

#endif
