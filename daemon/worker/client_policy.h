/* Runs in a worker: who may use snare and how much UDP it may get back.
 * The client-address policy (block_global, block_private; loopback always
 * passes) is one function for TCP and UDP alike.  UDP sources are not
 * proven by a handshake, so refusals are logged once per source and replies
 * are rate-limited per source: snare is not an open resolver or amplifier.
 * Everything here trusts only the worker's options; addresses are chosen
 * (and may be forged) by whoever sends. */
#ifndef SNARE_WORKER_CLIENT_POLICY_H
#define SNARE_WORKER_CLIENT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

/* ---- src_table.c: a bounded table of recent sources ---- */

/* A source: an IPv4 address (v4-mapped included) or an IPv6 /64, which one
 * host commonly owns whole. */
#define SRC_KEY_LEN 9
#define SRC_TABLE_WAYS 4

struct src_entry {
	uint8_t key[SRC_KEY_LEN]; /* family tag (4 or 6) and address bytes; tag 0: free */
	bool flag;		  /* the user's */
	uint64_t used_ms;	  /* last returned by src_table_get */
	uint64_t a, b;		  /* the user's */
};

/* Set-associative: a source hashes (with a per-table random key, so
 * senders cannot aim at one set) to a set of SRC_TABLE_WAYS entries; a new
 * source takes the least recently used entry of its set.  Memory is fixed. */
struct src_table {
	struct src_entry *e;
	size_t nsets; /* a power of two */
	uint64_t hkey[2];
};

void src_key(const struct sockaddr *sa, uint8_t key[SRC_KEY_LEN]);
/* A keyed hash of a source key (hkey: random per table). */
uint64_t src_hash(const uint64_t hkey[2], const uint8_t key[SRC_KEY_LEN]);
/* entries is rounded up to a power of two (at least SRC_TABLE_WAYS). */
void src_table_init(struct src_table *t, size_t entries);
void src_table_free(struct src_table *t);
/* sa's entry: an existing one (*fresh false) or one taken over for it
 * (*fresh true: all but key and used_ms are zero). */
struct src_entry *src_table_get(struct src_table *t, const struct sockaddr *sa, uint64_t now_ms,
				bool *fresh);

/* ---- reply_limit.c: a token bucket per source ---- */

struct reply_limit {
	struct src_table t;
	uint64_t rate;	/* replies per second; 0: no limit */
	uint64_t burst; /* replies a quiet source may get at once */
};

enum reply_verdict {
	REPLY_OK,
	REPLY_DROP,	  /* over the limit */
	REPLY_DROP_FIRST, /* over the limit for the first time since the source got an entry */
};

void reply_limit_init(struct reply_limit *l, unsigned rate, unsigned burst, size_t entries);
void reply_limit_free(struct reply_limit *l);
/* Takes one reply's token for sa's source at now_ms. */
enum reply_verdict reply_limit_take(struct reply_limit *l, const struct sockaddr *sa,
				    uint64_t now_ms);

/* ---- client_policy.c: the worker's policy ---- */

/* Whether block_global / block_private refuse peer (loopback never is). */
bool client_blocked(const union sockaddr_any *peer);
/* The option that refuses peer, "block_global" or "block_private". */
const char *client_blocked_by(const union sockaddr_any *peer);
/* For a UDP datagram from peer: true when the policy refuses it.  The
 * refusal is logged like a TCP one, once per source (again after an hour
 * or when the source has left the table), and at most a few lines a minute
 * in all; the rest are counted in the next line. */
bool client_refused_udp(const union sockaddr_any *peer);
/* Whether a UDP reply may go to peer now (udp_reply_rate; loopback is
 * never limited).  A source's first drop is logged. */
bool udp_reply_allowed(const union sockaddr_any *peer);
void client_policy_stop(void);

#endif
