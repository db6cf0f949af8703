/* Runs in workers: the resolver's lifecycle and the glue between c-ares and
 * the epoll loop (one loop_io per c-ares socket, one timer for its
 * retransmissions).  resolver_new runs before the seccomp filter and is the
 * only place that reads files (resolv.conf, the hosts file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/util.h"
#include "resolve/resolve_priv.h"

#define RESOLVE_TRIES 2
/* Room for a burst of answers to many parallel requests (capped by the
 * kernel at net.core.rmem_max). */
#define RESOLVE_RCVBUF (1 << 20)

struct resolve_sock {
	struct loop_io io;
	struct resolver *r;
	struct resolve_sock *next;
};

void resolve_arm_timer(struct resolver *r)
{
	struct timeval tv, *tvp = ares_timeout(r->channel, NULL, &tv);
	uint64_t ms;

	if (tvp == NULL) {
		loop_timer_cancel(r->loop, &r->timer);
		return;
	}
	/* Round up so that an early wake-up cannot spin. */
	ms = (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) / 1000;
	loop_timer_arm(r->loop, &r->timer, ms);
}

static void resolve_on_timer(struct loop_timer *t)
{
	struct resolver *r = t->arg;

	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolve_arm_timer(r);
}

static void resolve_on_sock_io(struct loop_io *io, uint32_t events)
{
	struct resolve_sock *s = io->arg;
	struct resolver *r = s->r;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;
	bool err = (events & (EPOLLERR | EPOLLHUP)) != 0;

	if ((events & EPOLLIN) || err)
		rfd = io->fd;
	if ((events & EPOLLOUT) || (err && (io->events & EPOLLOUT)))
		wfd = io->fd;
	/* May close this socket: s is then freed after the batch. */
	ares_process_fd(r->channel, rfd, wfd);
	resolve_arm_timer(r);
}

static struct resolve_sock **resolve_sock_find(struct resolver *r, int fd)
{
	struct resolve_sock **pp = &r->socks;

	while (*pp != NULL && (*pp)->io.fd != fd)
		pp = &(*pp)->next;
	return pp;
}

/* Its events may still be queued in the current batch: free it afterwards. */
static void resolve_sock_drop(struct resolver *r, struct resolve_sock **pp)
{
	struct resolve_sock *s = *pp;

	*pp = s->next;
	loop_io_del(r->loop, &s->io);
	loop_defer_free(r->loop, free, s);
}

/* c-ares opened, changed or (readable = writable = 0) is closing a socket. */
static void resolve_on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	struct resolve_sock **pp = resolve_sock_find(r, fd);
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	int err;

	if (ev == 0) {
		if (*pp != NULL)
			resolve_sock_drop(r, pp);
		return;
	}
	if (*pp == NULL) {
		*pp = xcalloc(1, sizeof(**pp));
		(*pp)->r = r;
		loop_io_init(&(*pp)->io, fd, resolve_on_sock_io, *pp);
	}
	err = loop_io_set(r->loop, &(*pp)->io, ev);
	if (err < 0)
		log_err(LOG_LVL_WARN, err, "resolve: cannot watch a DNS socket");
}

static int resolve_parse_port(const char *s, int *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v == 0 || v > 65535)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

/* Splits "ip", "ip:port" or "[v6]:port" into host and port. */
static int resolve_split_server(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(s, ':'), *end = s + strlen(s);

	*port = 53;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return -EINVAL;
		s++;
		end = rb;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if (colon != NULL && strchr(s, ':') == colon) {
		end = colon;
	} else {
		colon = NULL; /* no port, or a bare IPv6 address */
	}
	if ((size_t)(end - s) >= hostlen)
		return -EINVAL;
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	return colon != NULL ? resolve_parse_port(colon + 1, port) : 0;
}

static int resolve_parse_server(const char *s, struct ares_addr_port_node *n)
{
	char host[ADDR_STRLEN];
	union sockaddr_any sa;
	int port, err;

	err = resolve_split_server(s, host, sizeof(host), &port);
	if (err == 0)
		err = addr_parse_ip(host, 0, &sa);
	if (err < 0)
		return err;
	memset(n, 0, sizeof(*n));
	n->family = sa.sa.sa_family;
	if (n->family == AF_INET)
		memcpy(&n->addr.addr4, &sa.in4.sin_addr, 4);
	else
		memcpy(&n->addr.addr6, &sa.in6.sin6_addr, 16);
	n->udp_port = n->tcp_port = port;
	return 0;
}

static int resolve_set_servers(struct resolver *r, const struct resolve_opts *o)
{
	struct ares_addr_port_node nodes[RESOLVE_MAX_SERVERS];
	size_t i;
	int err;

	if (o->n_name_servers == 0)
		return 0;
	if (o->n_name_servers > RESOLVE_MAX_SERVERS || o->name_servers == NULL)
		return -EINVAL;
	for (i = 0; i < o->n_name_servers; i++) {
		if (o->name_servers[i] == NULL)
			return -EINVAL;
		err = resolve_parse_server(o->name_servers[i], &nodes[i]);
		if (err < 0)
			return err;
		nodes[i].next = i + 1 < o->n_name_servers ? &nodes[i + 1] : NULL;
	}
	err = ares_set_servers_ports(r->channel, nodes);
	return err == ARES_SUCCESS ? 0 : err == ARES_ENOMEM ? -ENOMEM : -EIO;
}

/* DNS only ("b"): c-ares never opens the hosts file after start-up. */
static int resolve_init_ares(struct resolver *r)
{
	struct ares_options ao;
	int optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS |
		      ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF;
	int err;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return -EIO;
	r->lib_init = true;
	memset(&ao, 0, sizeof(ao));
	ao.flags = ARES_FLAG_NOALIASES;
	/* First try t/3, the second 2t/3 (c-ares doubles it). */
	ao.timeout = (int)(r->timeout_ms / 3 > 0 ? r->timeout_ms / 3 : 1);
	ao.tries = RESOLVE_TRIES;
	ao.lookups = (char *)"b";
	ao.socket_receive_buffer_size = RESOLVE_RCVBUF;
	ao.sock_state_cb = resolve_on_sock_state;
	ao.sock_state_cb_data = r;
	err = ares_init_options(&r->channel, &ao, optmask);
	if (err != ARES_SUCCESS) {
		r->channel = NULL;
		return err == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

int resolver_new(struct loop *l, const struct resolve_opts *o, struct resolver **out)
{
	struct resolver *r;
	int err;

	*out = NULL;
	if (l == NULL || o == NULL || o->n_name_servers > RESOLVE_MAX_SERVERS)
		return -EINVAL;
	r = xcalloc(1, sizeof(*r));
	r->loop = l;
	r->use_hosts = o->use_hosts_file;
	r->timeout_ms = o->timeout_ms ? o->timeout_ms : RESOLVE_DEFAULT_TIMEOUT_MS;
	loop_timer_init(&r->timer, resolve_on_timer, r);
	err = 0;
	if (r->use_hosts)
		err = resolve_hosts_load(&r->hosts, o->hosts_path ? o->hosts_path
								  : RESOLVE_DEFAULT_HOSTS_PATH);
	if (err == 0)
		err = resolve_init_ares(r);
	if (err == 0)
		err = resolve_set_servers(r, o);
	if (err < 0)
		goto out;
	*out = r;
	r = NULL;
out:
	resolver_free(r);
	return err;
}

void resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	/* Queries end with ARES_EDESTRUCTION, sockets are reported closed. */
	if (r->channel != NULL)
		ares_destroy(r->channel);
	resolve_free_all_reqs(r);
	while (r->socks != NULL)
		resolve_sock_drop(r, &r->socks);
	loop_timer_cancel(r->loop, &r->timer);
	resolve_hosts_clear(&r->hosts);
	if (r->lib_init)
		ares_library_cleanup();
	free(r);
}
