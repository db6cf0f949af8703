/* Inside daemon/replay: the server replay index (server.c) as matchkey.c
 * sees it. */
#ifndef SNARE_REPLAY_SERVER_INT_H
#define SNARE_REPLAY_SERVER_INT_H

#include "replay/replay.h"

/* The recorded flows of one match hash, in file order; head is the next
 * one to serve (flows before it were popped and freed). */
struct replay_group {
	uint8_t key[32];
	Snare__Flow **flows;
	size_t n, cap, head;
	struct replay_group *next; /* bucket chain */
};

struct replay_server {
	struct replay_server_opts o; /* string lists owned by `strs` */
	char **strs;
	size_t nstrs;
	struct replay_group **buckets;
	size_t nbuckets, ngroups;
	size_t remaining; /* flows not popped yet */
};

#endif
