/* Local mode: which process opened a connection or sends a UDP flow, from
 * the map the redirector keeps (procmap.c).  Runs in a worker. */
#ifndef SNARE_WORKER_PROCMAP_H
#define SNARE_WORKER_PROCMAP_H

#include <stdint.h>
#include <sys/socket.h>

struct conn;
/* Fills c->proc_pid/proc_name from the redirector's map. */
void procmap_lookup(struct conn *c);
/* Who sends a UDP flow from src (its local port).  0 or -errno; name is
 * NUL-terminated. */
int procmap_lookup_udp(const struct sockaddr_storage *src, uint32_t *pid, char name[16]);

#endif
