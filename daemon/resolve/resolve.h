/* Asynchronous name resolution (c-ares) on the process's epoll loop, for
 * workers: upstream connections now, the DNS mode later.  Configuration and
 * the hosts file are read once by resolver_new, before the seccomp filter is
 * loaded; afterwards only DNS sockets are opened.  Never blocks. */
#ifndef SNARE_RESOLVE_RESOLVE_H
#define SNARE_RESOLVE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct loop;
struct resolver;
struct resolve_req;

/* Outstanding requests per resolver (including cancelled ones whose query
 * is still in flight); resolve_start fails with EAGAIN beyond it. */
#define RESOLVE_MAX_PENDING 4096
/* Addresses kept per family and answer; at most twice that per callback. */
#define RESOLVE_MAX_PER_FAMILY 16
#define RESOLVE_MAX_SERVERS 8
#define RESOLVE_DEFAULT_TIMEOUT_MS 5000
#define RESOLVE_DEFAULT_HOSTS_PATH "/etc/hosts"

struct resolve_opts {
	bool use_hosts_file;
	/* "ip" or "ip:port" ("[v6]:port"); none = the servers in /etc/resolv.conf. */
	const char *const *name_servers;
	size_t n_name_servers;
	/* NULL = RESOLVE_DEFAULT_HOSTS_PATH; read only when use_hosts_file. */
	const char *hosts_path;
	/* Upper bound for one request, all tries included; 0 = the default. */
	unsigned timeout_ms;
};

/* Reads resolv.conf and the hosts file now.  0, -EINVAL (bad option or name
 * server), -ENOMEM, -EIO (c-ares failed) or -errno from reading the hosts file
 * (a missing hosts file counts as empty). */
int resolver_new(struct loop *l, const struct resolve_opts *o, struct resolver **out)
    __attribute__((warn_unused_result));
/* Drops every outstanding request without calling back.  May be called from
 * a resolve callback. */
void resolver_free(struct resolver *r);

/* status 0: addrs holds 1..n addresses (IPv6 and IPv4 interleaved, IPv6
 * first, each with the requested port).  Otherwise addrs is NULL, n is 0 and
 * status is -ENOENT (no such name), -ENODATA (no address of the family),
 * -ETIMEDOUT, -EIO (server failure, refused) or -ENOMEM. */
typedef void (*resolve_fn)(void *arg, int status, const struct sockaddr_storage *addrs, size_t n);

/* family: AF_UNSPEC (A and AAAA), AF_INET or AF_INET6.  IP literals (also
 * "[v6]"), hosts file entries and "localhost" complete without a query.  fn
 * runs exactly once, from the loop, never inside resolve_start; the handle is
 * invalid once it has started.  NULL with errno EAGAIN (too many outstanding)
 * or EINVAL (bad family or arguments). */
struct resolve_req *resolve_start(struct resolver *r, const char *host, uint16_t port, int family,
				  resolve_fn fn, void *arg);
/* fn is never called afterwards.  Only before fn has started. */
void resolve_cancel(struct resolve_req *q);

#endif
