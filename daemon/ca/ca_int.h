/* The ca role's internals: the role, one peer per attached worker channel,
 * and the per-worker signing rate limit.  Module-internal. */
#ifndef SNARE_CA_CA_INT_H
#define SNARE_CA_CA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "certs/certs.h"
#include "core/loop.h"
#include "ipc/ipc.h"

#define CA_MAX_WORKERS 256

/* The signing rate limit per worker: a token bucket of CA_SIGN_BURST
 * requests refilled at CA_SIGN_RATE per second.  A worker asks once per
 * distinct name set and keeps the leaf for days, so even a browser start-up
 * that restores dozens of tabs (each page touching tens of hosts: some 100
 * distinct names is a heavy page) asks well under 200 times at once, and 20
 * new names a second sustained is more than a person browsing produces.  A
 * compromised worker gets at most 200 + 20/s leaves, each for its one
 * registered key and valid for days, instead of an unbounded number. */
#define CA_SIGN_BURST 200
#define CA_SIGN_RATE 20

struct ca_bucket {
	uint64_t milli; /* tokens x 1000 */
	uint64_t last_ms;
	uint32_t burst;
	uint32_t rate; /* tokens per second */
};

/* Starts full. */
void ca_bucket_init(struct ca_bucket *b, uint32_t burst, uint32_t rate, uint64_t now_ms);
/* Takes one token: true, or false when the bucket is empty. */
bool ca_bucket_take(struct ca_bucket *b, uint64_t now_ms);

struct ca_role;

struct ca_peer {
	struct ipc_chan chan;
	struct ca_role *ca;
	unsigned worker;  /* AttachWorker.worker_index, for the log */
	X509_PUBKEY *key; /* registered once, owned */
	uint8_t *spki;	  /* its DER, owned */
	size_t spki_len;
	struct ca_bucket bucket;
	uint64_t limited; /* requests refused since the limit last tripped */
	uint64_t bad;	  /* requests refused for their content */
};

struct ca_role {
	struct loop *loop;
	struct ipc_chan coord;
	struct ca_store store;
	bool have_store;
	uint32_t sign_burst, sign_rate;
	struct ca_peer *peers[CA_MAX_WORKERS];
};

/* ca_peer.c: a new worker channel (the AttachWorker frame carries its fd). */
void ca_peer_attach(struct ca_role *ca, struct ipc_frame *f);
void ca_peer_free_all(struct ca_role *ca);

#endif
