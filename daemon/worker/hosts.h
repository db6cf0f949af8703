/* ignore_hosts, allow_hosts and tcp_hosts: host:port against regex lists
 * (hosts.c).  Runs in a worker. */
#ifndef SNARE_WORKER_HOSTS_H
#define SNARE_WORKER_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/options.h"
#include "worker/worker_ctx.h"

int hosts_compile(struct regex_list *l, const struct strlist *src, char *err, size_t errlen);
bool hosts_ignored(const char *host, uint16_t port);
bool hosts_match(const struct regex_list *l, const char *host, uint16_t port);

#endif
