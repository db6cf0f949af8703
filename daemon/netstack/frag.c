/* Runs in the worker. Trusts nothing: reassembles IPv4 fragments with hard limits (datagrams
 * in progress, 64 KiB each, pieces per datagram, NS_FRAG_TIMEOUT_MS). Overlapping pieces (other
 * than exact duplicates) drop the whole datagram, as do all limits; each drop is counted. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "netstack/ns_int.h"

#define FRAG_MAX_PAYLOAD (65535 - 20)

struct ns_frag {
	struct ns_frag *next;
	uint8_t src[4], dst[4];
	uint16_t id;
	uint8_t proto;
	uint64_t deadline;
	uint8_t *buf;
	size_t cap;
	size_t total; /* 0 until the last fragment arrived */
	size_t have;  /* bytes held */
	size_t max_end;
	struct {
		size_t start, end;
	} piece[NS_FRAG_MAX_PIECES];
	size_t npiece;
};

static void frag_arm(struct ns_stack *s)
{
	if (s->frag.list)
		ns_timer_set(s, &s->frag.expire, s->frag.list->deadline);
	else
		ns_timer_stop(s, &s->frag.expire);
}

static void frag_remove(struct ns_stack *s, struct ns_frag *f)
{
	struct ns_frag **pp = &s->frag.list;

	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	s->frag.count--;
	free(f->buf);
	free(f);
}

static void frag_drop(struct ns_stack *s, struct ns_frag *f)
{
	s->ctr.frag_dropped++;
	frag_remove(s, f);
	frag_arm(s);
}

static void frag_on_expire(struct ns_timer *t)
{
	struct ns_stack *s = t->arg;

	while (s->frag.list && s->frag.list->deadline <= s->now) {
		s->ctr.frag_dropped++;
		frag_remove(s, s->frag.list);
	}
	frag_arm(s);
}

void ns_frag_init(struct ns_stack *s)
{
	ns_timer_init(&s->frag.expire, frag_on_expire, s);
}

void ns_frag_free(struct ns_stack *s)
{
	while (s->frag.list)
		frag_remove(s, s->frag.list);
	ns_timer_stop(s, &s->frag.expire);
}

/* The datagram this fragment belongs to, new (appended, the oldest evicted when full) if
 * needed. */
static struct ns_frag *frag_find(struct ns_stack *s, const struct ns_ip *ip, uint16_t id)
{
	struct ns_frag *f, **pp = &s->frag.list;

	for (f = s->frag.list; f != NULL; f = f->next)
		if (f->id == id && f->proto == ip->proto && memcmp(f->src, ip->src, 4) == 0 &&
		    memcmp(f->dst, ip->dst, 4) == 0)
			return f;
	if (s->frag.count >= NS_FRAG_MAX_DATAGRAMS) {
		s->ctr.frag_dropped++;
		frag_remove(s, s->frag.list);
	}
	f = xcalloc(1, sizeof(*f));
	memcpy(f->src, ip->src, 4);
	memcpy(f->dst, ip->dst, 4);
	f->id = id;
	f->proto = ip->proto;
	f->deadline = s->now + NS_FRAG_TIMEOUT_MS;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = f;
	s->frag.count++;
	frag_arm(s);
	return f;
}

/* Adds [start, end); 1 added, 0 exact duplicate, -1 overlap or too many pieces. */
static int frag_add_piece(struct ns_frag *f, size_t start, size_t end)
{
	size_t i;

	for (i = 0; i < f->npiece; i++) {
		if (f->piece[i].start == start && f->piece[i].end == end)
			return 0;
		if (start < f->piece[i].end && f->piece[i].start < end)
			return -1;
	}
	if (f->npiece == NS_FRAG_MAX_PIECES)
		return -1;
	f->piece[f->npiece].start = start;
	f->piece[f->npiece].end = end;
	f->npiece++;
	f->have += end - start;
	return 1;
}

static void frag_store(struct ns_frag *f, size_t off, const uint8_t *p, size_t n)
{
	if (off + n > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;

		while (cap < off + n)
			cap *= 2;
		if (cap > FRAG_MAX_PAYLOAD)
			cap = FRAG_MAX_PAYLOAD;
		f->buf = xrealloc(f->buf, cap);
		f->cap = cap;
	}
	memcpy(f->buf + off, p, n);
}

static void frag_complete(struct ns_stack *s, struct ns_frag *f)
{
	struct ns_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.ver = 4;
	ip.proto = f->proto;
	memcpy(ip.src, f->src, 4);
	memcpy(ip.dst, f->dst, 4);
	ip.l4 = f->buf;
	ip.l4len = f->total;
	s->ctr.frag_reassembled++;
	ns_transport_input(s, &ip);
	frag_remove(s, f);
	frag_arm(s);
}

/* Whether a fragment ending at end (the last one unless more) fits what is known. */
static bool frag_fits(const struct ns_frag *f, size_t end, bool more)
{
	if (more)
		return f->total == 0 || end < f->total;
	if (f->total != 0)
		return end == f->total;
	return f->max_end <= end;
}

void ns_frag_input(struct ns_stack *s, const struct ns_ip *ip, uint16_t id, size_t off, bool more)
{
	size_t end = off + ip->l4len;
	struct ns_frag *f;
	int r;

	if (ip->l4len == 0 || (more && ip->l4len % 8 != 0) || end > FRAG_MAX_PAYLOAD) {
		s->ctr.frag_dropped++;
		return;
	}
	f = frag_find(s, ip, id);
	if (!frag_fits(f, end, more)) {
		frag_drop(s, f);
		return;
	}
	r = frag_add_piece(f, off, end);
	if (r < 0) {
		frag_drop(s, f);
		return;
	}
	if (r == 0)
		return;
	frag_store(f, off, ip->l4, ip->l4len);
	if (end > f->max_end)
		f->max_end = end;
	if (!more)
		f->total = end;
	if (f->total != 0 && f->have == f->total)
		frag_complete(s, f);
}
