/* The list both upstream pools keep their idle server connections in
 * (upstream_pool.c for HTTP/1, h2_pool.c for HTTP/2): newest first, each
 * entry stamped when it came in; the oldest go when a cap is reached
 * (upstream_keepalive per key, upstream_keepalive_total) or when
 * upstream_keepalive_timeout has passed.  What an entry holds (a stream,
 * an h2 framing) and how it is closed is the pool's.  Runs in a worker. */
#ifndef SNARE_WORKER_IDLE_LIST_H
#define SNARE_WORKER_IDLE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

/* The first member of a pool's entry. */
struct idle_entry {
	struct idle_entry *prev, *next; /* newest first */
	char *key;			/* the pool key it is filed under */
	char *host;			/* what it is connected to */
	uint16_t port;
	bool gone;	   /* taken or dropped; freed after the current events */
	uint64_t since_ms; /* loop time it came into the pool */
};

struct idle_list {
	struct idle_entry *head, *tail;
	size_t n;
	struct loop_timer timer; /* the oldest entry's upstream_keepalive_timeout */
	bool timer_init;
	/* The pool's: closes e's connection, then idle_list_unlink. */
	void (*drop)(struct idle_entry *e, const char *why);
	/* Whether an entry filed under `have` counts against `want`'s cap. */
	bool (*same_key)(const char *have, const char *want);
};

/* e (zeroed, the first member of an allocation the list frees once
 * unlinked) joins l as its newest, filed under key. */
void idle_list_link(struct idle_list *l, struct idle_entry *e, const char *key, const char *host,
		    uint16_t port);
/* e leaves l (taken or dropped); freed after the current events. */
void idle_list_unlink(struct idle_list *l, struct idle_entry *e);
/* Room for one more under key: the oldest with that key, or the oldest of
 * all, is dropped when a cap is reached. */
void idle_list_make_room(struct idle_list *l, const char *key);
/* The timer again after a take (the oldest may have changed). */
void idle_list_arm(struct idle_list *l);
/* Drops the entry idle longest; false when l is empty. */
bool idle_list_drop_oldest(struct idle_list *l, const char *why);
/* Drops every entry (the worker stops). */
void idle_list_close_all(struct idle_list *l);

#endif
