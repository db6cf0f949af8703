/* Runs in the worker. Internal to the netstack TCP files: the control block of one connection
 * (RFC 9293 names), its states, and the functions tcp_conn.c, tcp_input.c, tcp_output.c and
 * tcp_timer.c share. Every field is driven by untrusted segments. */
#ifndef SNARE_NS_TCP_INT_H
#define SNARE_NS_TCP_INT_H

#include "netstack/ns_int.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_HLEN 20
#define TCP_RTO_INIT_MS 1000
#define TCP_RTO_MIN_MS 200
#define TCP_RTO_MAX_MS 60000
#define TCP_MAX_RETRIES 12 /* consecutive timeouts before giving up */
#define TCP_SYNACK_RETRIES 5
#define TCP_DELACK_MS 40
#define TCP_INIT_CWND_SEGS 10

enum tcp_state {
	TCP_CLOSED,
	TCP_SYN_RCVD,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSING,
	TCP_TIME_WAIT,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
};

/* One received segment, header parsed. */
struct tcp_seg {
	uint32_t seq, ack;
	uint32_t wnd; /* raw 16-bit field */
	uint8_t flags;
	const uint8_t *data;
	size_t len;
	/* options (meaningful on SYN) */
	uint16_t mss; /* 0 when absent */
	int ws;	      /* -1 when absent */
};

struct ns_range {
	uint32_t start, end; /* sequence numbers, [start, end) */
};

struct ns_tcp {
	struct ns_stack *s;
	struct ns_tcp *hnext; /* hash chain */
	struct ns_tcp *reap_next;
	struct ns_tcp *all_prev, *all_next;
	struct ns_tuple t;
	enum tcp_state state;
	bool hashed;	/* in the table (the stack still runs it) */
	bool app_owned; /* accepted and not yet closed by the application */
	bool reaping;
	bool app_closed;  /* the application closed its handle */
	bool closed_done; /* closed was reported */
	int err;	  /* why it ended (0 or -errno) */

	struct ns_tcp_callbacks cb;
	void *cb_arg;
	/* Events gathered while a segment or timer is handled, reported after. */
	bool ev_accept, ev_readable, ev_writable, ev_closed;
	bool want_writable;
	bool in_notify; /* inside tcp_notify: ACKs wait for its end */

	/* Send side: tx holds bytes from snd_una on. */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
	uint32_t snd_wnd;
	uint8_t snd_ws, rcv_ws;
	uint16_t mss; /* largest segment we send */
	struct ns_ring tx;
	bool fin_queued; /* FIN goes after the queued data, at fin_seq */
	bool fin_sent;
	uint32_t fin_seq;

	/* Receive side: rx holds in-order bytes not read yet, out-of-order bytes past them. */
	uint32_t irs, rcv_nxt, rcv_adv;
	struct ns_ring rx;
	struct ns_range ooo[NS_OOO_MAX];
	size_t nooo;
	bool ooo_fin;
	uint32_t ooo_fin_seq;
	bool rx_fin;
	uint32_t ack_owed; /* bytes received since we last sent an ACK */
	bool ack_now;

	/* Congestion control (Reno with NewReno recovery). */
	uint32_t cwnd, ssthresh, recover;
	uint32_t dupacks;
	bool in_recovery;

	/* RTT (RFC 6298), in ms; one segment timed at a time (Karn). */
	uint32_t srtt, rttvar, rto;
	bool rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint32_t retries;

	/* Timers: one heap entry per connection at the earliest deadline. */
	struct ns_timer timer;
	uint64_t rtx_due; /* retransmission, SYN-ACK, zero-window probe, TIME_WAIT (0: off) */
	uint64_t delack_due;
	uint64_t last_rx, last_ka;
	bool persist; /* rtx_due is a zero-window probe */
};

/* tcp_conn.c */
struct ns_tcp *tcp_lookup(struct ns_stack *s, const struct ns_tuple *t);
void tcp_passive_open(struct ns_stack *s, const struct ns_tuple *t, const struct tcp_seg *seg);
/* Takes the connection out of the table and stops its timers; err goes to closed. */
void tcp_drop(struct ns_tcp *c, int err);
/* Queues c for freeing once neither the stack nor the application holds it. */
void tcp_maybe_reap(struct ns_tcp *c);
void tcp_set_state(struct ns_tcp *c, enum tcp_state st);
void tcp_notify(struct ns_tcp *c);
uint32_t tcp_rcv_space(const struct ns_tcp *c);

/* tcp_input.c */
void tcp_segment_arrives(struct ns_tcp *c, const struct tcp_seg *seg);
void tcp_enter_time_wait(struct ns_tcp *c);

/* tcp_recv.c: the text and FIN of an acceptable segment (RFC 9293 3.10.7.4, steps 7-8). */
void tcp_receive(struct ns_tcp *c, const struct tcp_seg *seg);

/* tcp_output.c */
/* Sends what the windows allow, then an ACK if one is owed. */
void tcp_output(struct ns_tcp *c);
void tcp_send_ack(struct ns_tcp *c);
void tcp_send_synack(struct ns_tcp *c);
void tcp_send_rst(struct ns_tcp *c);
/* Retransmits one segment from snd_una; returns the sequence space it covers. */
uint32_t tcp_retransmit_first(struct ns_tcp *c);
void tcp_send_probe(struct ns_tcp *c);
/* A reset for a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_reply_rst(struct ns_stack *s, const struct ns_tuple *t, const struct tcp_seg *seg);
uint32_t tcp_flight(const struct ns_tcp *c);

/* tcp_timer.c */
void tcp_timer_update(struct ns_tcp *c);
void tcp_timer_fire(struct ns_timer *t);
void tcp_rtt_sample(struct ns_tcp *c, uint32_t ms);
/* Arms the retransmission timer unless it runs; restart always re-arms (or stops it when
 * nothing is outstanding). */
void tcp_rtx_arm(struct ns_tcp *c);
void tcp_rtx_restart(struct ns_tcp *c);

#endif
