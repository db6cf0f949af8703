/* Shared inside the resolve module only (workers): the resolver, the
 * per-family answer slots of a request and the start-up hosts table.
 * Nothing here is part of the API in resolve.h. */
#ifndef SNARE_RESOLVE_RESOLVE_PRIV_H
#define SNARE_RESOLVE_RESOLVE_PRIV_H

#include <ares.h>

#include "core/loop.h"
#include "resolve/resolve.h"

#define RESOLVE_NAME_MAX 253
/* Per-family status besides 0 and negative codes. */
#define RESOLVE_ST_PENDING 1 /* a query is running */
#define RESOLVE_ST_NONE 2    /* family not asked for */

/* One family's answer; also the arg of its c-ares query. */
struct resolve_fam {
	struct resolve_req *req;
	int family;
	int status;
	size_t n;
	unsigned char addr[RESOLVE_MAX_PER_FAMILY][16];
};

struct resolve_host {
	char *name; /* normalized */
	uint32_t seq;
	int family;
	unsigned char addr[16];
};

/* Sorted by name, then by position in the file. */
struct resolve_hosts {
	struct resolve_host *e;
	size_t n, cap;
};

struct resolve_sock;

struct resolver {
	struct loop *loop;
	ares_channel channel;
	bool lib_init;
	struct loop_timer timer; /* ares_timeout() */
	struct resolve_sock *socks;
	struct resolve_req *reqs;
	size_t nreqs;
	bool use_hosts;
	struct resolve_hosts hosts;
	unsigned timeout_ms;
};

/* resolver.c */
void resolve_arm_timer(struct resolver *r);

/* request.c */
void resolve_free_all_reqs(struct resolver *r);

/* hosts.c */
/* Lowercases host into out without one trailing dot; 0 or -EINVAL when it is
 * not a plausible DNS name (letters, digits, '-', '_', labels of 1..63). */
int resolve_name_normalize(const char *host, char out[RESOLVE_NAME_MAX + 1]);
int resolve_hosts_load(struct resolve_hosts *h, const char *path);
void resolve_hosts_clear(struct resolve_hosts *h);
/* Adds the entries for name to v4 and v6 (either may be NULL); returns how
 * many were added. */
size_t resolve_hosts_lookup(const struct resolve_hosts *h, const char *name, struct resolve_fam *v4,
			    struct resolve_fam *v6);
/* Appends addr (4 or 16 bytes) unless it is a duplicate or f is full. */
bool resolve_fam_add(struct resolve_fam *f, const void *addr);

#endif
