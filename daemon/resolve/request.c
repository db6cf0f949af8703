/* Runs in workers: one name resolution from start to its single callback.
 * Answers for IP literals, hosts entries and "localhost" are made here; other
 * names go to c-ares as one query per family.  DNS answers are untrusted and
 * parsed by c-ares into bounded per-family slots. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/util.h"
#include "resolve/resolve_priv.h"

#define RESOLVE_MAX_ADDRS (2 * RESOLVE_MAX_PER_FAMILY)

struct resolve_req {
	struct resolver *r;
	struct resolve_req *prev, *next;
	resolve_fn fn; /* NULL once delivered or cancelled */
	void *arg;
	uint16_t port;
	unsigned pending;	 /* c-ares queries holding a pointer to us */
	struct loop_timer timer; /* the deadline, then 0 ms to deliver */
	struct resolve_fam v4, v6;
};

static void resolve_req_free(struct resolve_req *q)
{
	struct resolver *r = q->r;

	loop_timer_cancel(r->loop, &q->timer);
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->reqs = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	r->nreqs--;
	free(q);
}

void resolve_free_all_reqs(struct resolver *r)
{
	while (r->reqs != NULL)
		resolve_req_free(r->reqs);
}

static struct resolve_fam *resolve_want(struct resolve_req *q, int family)
{
	struct resolve_fam *f = family == AF_INET ? &q->v4 : &q->v6;

	return f->status == RESOLVE_ST_NONE ? NULL : f;
}

static int resolve_ares_error(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_EBADNAME:
		return -ENOENT;
	case ARES_ENODATA:
		return -ENODATA;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static bool resolve_definite(int st)
{
	return st == -ENOENT || st == -ENODATA;
}

/* One status for the request from both families' (neither has addresses).
 * A definite "no such name" wins over transient errors; "no address" does
 * not, since the other family might have had one. */
static int resolve_combine(int a, int b)
{
	if (a == RESOLVE_ST_PENDING)
		a = -ETIMEDOUT;
	if (b == RESOLVE_ST_PENDING)
		b = -ETIMEDOUT;
	if (a == RESOLVE_ST_NONE)
		return b;
	if (b == RESOLVE_ST_NONE)
		return a;
	if (resolve_definite(a) && resolve_definite(b))
		return a == -ENODATA || b == -ENODATA ? -ENODATA : -ENOENT;
	if (a == -ENOENT || b == -ENOENT)
		return -ENOENT;
	if (a == -ETIMEDOUT || b == -ETIMEDOUT)
		return -ETIMEDOUT;
	return resolve_definite(a) ? b : a;
}

static void resolve_sockaddr(const struct resolve_fam *f, size_t i, uint16_t port,
			     struct sockaddr_storage *ss)
{
	union sockaddr_any *sa = (union sockaddr_any *)ss;

	memset(ss, 0, sizeof(*ss));
	if (f->family == AF_INET) {
		sa->in4.sin_family = AF_INET;
		sa->in4.sin_port = htons(port);
		memcpy(&sa->in4.sin_addr, f->addr[i], 4);
	} else {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(port);
		memcpy(&sa->in6.sin6_addr, f->addr[i], 16);
	}
}

/* IPv6 and IPv4 alternate, IPv6 first (RFC 8305 section 4). */
static size_t resolve_collect(const struct resolve_req *q, struct sockaddr_storage *out)
{
	size_t i, n = 0;

	for (i = 0; i < RESOLVE_MAX_PER_FAMILY; i++) {
		if (i < q->v6.n)
			resolve_sockaddr(&q->v6, i, q->port, &out[n++]);
		if (i < q->v4.n)
			resolve_sockaddr(&q->v4, i, q->port, &out[n++]);
	}
	return n;
}

/* Fires when the answer is complete, or at the deadline.  Everything is
 * copied out first, so the callback may free the resolver. */
static void resolve_on_req_timer(struct loop_timer *t)
{
	struct resolve_req *q = t->arg;
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	size_t n = resolve_collect(q, addrs);
	int status = n > 0 ? 0 : resolve_combine(q->v4.status, q->v6.status);
	resolve_fn fn = q->fn;
	void *arg = q->arg;

	q->fn = NULL;
	if (q->pending == 0)
		resolve_req_free(q);
	fn(arg, status, n > 0 ? addrs : NULL, n);
}

static int resolve_parse(struct resolve_fam *f, unsigned char *abuf, int alen)
{
	struct ares_addrttl a[RESOLVE_MAX_PER_FAMILY];
	struct ares_addr6ttl a6[RESOLVE_MAX_PER_FAMILY];
	int i, n = RESOLVE_MAX_PER_FAMILY, st;

	if (f->family == AF_INET) {
		st = ares_parse_a_reply(abuf, alen, NULL, a, &n);
		for (i = 0; st == ARES_SUCCESS && i < n; i++)
			resolve_fam_add(f, &a[i].ipaddr);
	} else {
		st = ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n);
		for (i = 0; st == ARES_SUCCESS && i < n; i++)
			resolve_fam_add(f, &a6[i].ip6addr);
	}
	if (st != ARES_SUCCESS)
		return resolve_ares_error(st);
	return f->n > 0 ? 0 : -ENODATA;
}

/* May run inside ares_search (then only records) or ares_process_fd. */
static void resolve_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct resolve_fam *f = arg;
	struct resolve_req *q = f->req;

	q->pending--;
	if (status == ARES_EDESTRUCTION)
		return; /* resolver_free frees q */
	if (status == ARES_SUCCESS)
		f->status = resolve_parse(f, abuf, alen);
	else
		f->status = resolve_ares_error(status);
	if (q->pending > 0)
		return;
	if (q->fn == NULL)
		resolve_req_free(q);
	else
		loop_timer_arm(q->r->loop, &q->timer, 0);
}

static void resolve_query(struct resolve_req *q, const char *name)
{
	struct resolver *r = q->r;
	struct resolve_fam *v4 = resolve_want(q, AF_INET), *v6 = resolve_want(q, AF_INET6);

	loop_timer_arm(r->loop, &q->timer, r->timeout_ms);
	/* Counted first: a query may complete inside ares_search. */
	q->pending = (v4 != NULL) + (v6 != NULL);
	if (v6 != NULL)
		ares_search(r->channel, name, ns_c_in, ns_t_aaaa, resolve_on_answer, v6);
	if (v4 != NULL)
		ares_search(r->channel, name, ns_c_in, ns_t_a, resolve_on_answer, v4);
	resolve_arm_timer(r);
}

/* A local answer: families without an address get -ENODATA. */
static void resolve_local_done(struct resolve_req *q, int err)
{
	struct resolve_fam *fams[2] = {&q->v4, &q->v6};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fams); i++)
		if (fams[i]->status == RESOLVE_ST_PENDING)
			fams[i]->status = err < 0 ? err : fams[i]->n > 0 ? 0 : -ENODATA;
	loop_timer_arm(q->r->loop, &q->timer, 0);
}

/* "1.2.3.4", "::1" or "[::1]". */
static bool resolve_literal(struct resolve_req *q, const char *host)
{
	char buf[ADDR_STRLEN];
	size_t len = strnlen(host, sizeof(buf));
	union sockaddr_any sa;
	struct resolve_fam *f;

	if (len >= 2 && len < sizeof(buf) && host[0] == '[' && host[len - 1] == ']') {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (addr_parse_ip(host, 0, &sa) < 0)
		return false;
	f = resolve_want(q, sa.sa.sa_family);
	if (f != NULL)
		resolve_fam_add(f, sa.sa.sa_family == AF_INET ? (void *)&sa.in4.sin_addr
							      : (void *)&sa.in6.sin6_addr);
	return true;
}

/* RFC 6761: localhost and its subdomains are loopback. */
static bool resolve_localhost(struct resolve_req *q, const char *name)
{
	size_t len = strlen(name);
	struct resolve_fam *v4 = resolve_want(q, AF_INET), *v6 = resolve_want(q, AF_INET6);

	if (strcmp(name, "localhost") != 0 &&
	    (len < 10 || strcmp(name + len - 10, ".localhost") != 0))
		return false;
	if (v4 != NULL)
		resolve_fam_add(v4, &(struct in_addr){htonl(INADDR_LOOPBACK)});
	if (v6 != NULL)
		resolve_fam_add(v6, &in6addr_loopback);
	return true;
}

/* True when answered without a query.  Like glibc's "files dns", a hosts
 * entry of either asked-for family answers the name; otherwise DNS is asked. */
static bool resolve_local(struct resolve_req *q, const char *host, char *name)
{
	struct resolver *r = q->r;

	if (resolve_literal(q, host)) {
		resolve_local_done(q, 0);
	} else if (resolve_name_normalize(host, name) < 0) {
		resolve_local_done(q, -ENOENT);
	} else if ((r->use_hosts && resolve_hosts_lookup(&r->hosts, name, resolve_want(q, AF_INET),
							 resolve_want(q, AF_INET6)) > 0) ||
		   resolve_localhost(q, name)) {
		resolve_local_done(q, 0);
	} else {
		return false;
	}
	return true;
}

static struct resolve_req *resolve_req_new(struct resolver *r, uint16_t port, int family,
					   resolve_fn fn, void *arg)
{
	struct resolve_req *q = xcalloc(1, sizeof(*q));

	q->r = r;
	q->fn = fn;
	q->arg = arg;
	q->port = port;
	loop_timer_init(&q->timer, resolve_on_req_timer, q);
	q->v4 = (struct resolve_fam){.req = q, .family = AF_INET, .status = RESOLVE_ST_PENDING};
	q->v6 = (struct resolve_fam){.req = q, .family = AF_INET6, .status = RESOLVE_ST_PENDING};
	if (family == AF_INET6)
		q->v4.status = RESOLVE_ST_NONE;
	if (family == AF_INET)
		q->v6.status = RESOLVE_ST_NONE;
	q->next = r->reqs;
	if (r->reqs != NULL)
		r->reqs->prev = q;
	r->reqs = q;
	r->nreqs++;
	return q;
}

struct resolve_req *resolve_start(struct resolver *r, const char *host, uint16_t port, int family,
				  resolve_fn fn, void *arg)
{
	char name[RESOLVE_NAME_MAX + 1];
	struct resolve_req *q;

	if (r == NULL || host == NULL || fn == NULL ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)) {
		errno = EINVAL;
		return NULL;
	}
	if (r->nreqs >= RESOLVE_MAX_PENDING) {
		errno = EAGAIN;
		return NULL;
	}
	q = resolve_req_new(r, port, family, fn, arg);
	if (!resolve_local(q, host, name))
		resolve_query(q, name);
	return q;
}

void resolve_cancel(struct resolve_req *q)
{
	if (q == NULL)
		return;
	q->fn = NULL;
	loop_timer_cancel(q->r->loop, &q->timer);
	if (q->pending == 0)
		resolve_req_free(q);
}
