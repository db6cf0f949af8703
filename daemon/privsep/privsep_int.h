/* Internal to daemon/privsep/ (coordinator side): the helper handle shared by
 * the launcher and the request client. */
#ifndef SNARE_PRIVSEP_INT_H
#define SNARE_PRIVSEP_INT_H

#include "privsep/privsep.h"

struct privsep_helper {
	char name[PRIVSEP_NAME_MAX + 1];
	pid_t pid; /* the helper, or sudo when started through sudo */
	int fd;	   /* the channel; -1 once it is closed */
	enum privsep_how how;
	enum privsep_state state;
	uint64_t seq;
	uid_t creator_uid; /* our euid when the channel was made: the helper's peer uid */
};

/* Receives the helper's Hello and answers it (privsep_client.c). */
int privsep_hello(struct privsep_helper *h, char *err, size_t errlen);
/* Waits up to ms for pid, then SIGTERM, then SIGKILL; always reaps it. */
void privsep_reap(pid_t pid, int ms);

#endif
