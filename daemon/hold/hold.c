/* The held-flows store (hold.h): a list in arrival order of packed flow
 * copies, looked up by id.  Lookups are linear: max_flows bounds the list
 * and a user edits a handful of flows at a time.  Trusts its owner; the
 * edited flows given to it are packed, never kept by pointer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hold/hold.h"

struct held {
	uint64_t id;
	enum hold_phase phase;
	void *cookie;
	double deadline; /* 0: none */
	bool edited;
	uint8_t *data; /* the packed flow */
	size_t len;
	struct held *next;
};

struct hold {
	struct hold_limits lim;
	struct hold_ops ops;
	void *owner;
	struct filter *filter;
	bool active;
	struct held *head, **tail;
	size_t count, bytes;
	uint64_t next_id, refused;
};

struct hold *hold_new(const struct hold_limits *l, const struct hold_ops *ops, void *owner)
{
	struct hold *h = xcalloc(1, sizeof(*h));

	h->lim = *l;
	h->ops = *ops;
	h->owner = owner;
	h->tail = &h->head;
	h->next_id = 1;
	return h;
}

static void held_free(struct held *e)
{
	free(e->data);
	free(e);
}

void hold_free(struct hold *h)
{
	if (!h)
		return;
	for (struct held *e = h->head, *next; e; e = next) {
		next = e->next;
		held_free(e);
	}
	filter_free(h->filter);
	free(h);
}

int hold_set_filter(struct hold *h, const char *expr, char *err, size_t errlen)
{
	struct filter *f = NULL;
	int rc;

	if (expr && *expr && (rc = filter_compile(expr, &f, err, errlen)) < 0)
		return rc;
	filter_free(h->filter);
	h->filter = f;
	h->active = f != NULL;
	return 0;
}

void hold_set_active(struct hold *h, bool active)
{
	h->active = active;
}

bool hold_wants(const struct hold *h, const Snare__Flow *f, const struct filter_extra *x)
{
	return h->active && h->filter && h->lim.max_flows && !(f->is_replay && *f->is_replay) &&
	       filter_match(h->filter, f, x);
}

static int pack(const Snare__Flow *f, uint8_t **data, size_t *len)
{
	*len = snare__flow__get_packed_size(f);
	if (!(*data = malloc(*len ? *len : 1)))
		return -ENOMEM;
	snare__flow__pack(f, *data);
	return 0;
}

int hold_add(struct hold *h, const Snare__Flow *f, enum hold_phase phase, void *cookie, double now,
	     uint64_t *id)
{
	size_t len = snare__flow__get_packed_size(f);
	struct held *e;
	int rc;

	if (h->count >= h->lim.max_flows || len > h->lim.max_bytes - h->bytes) {
		h->refused++;
		return -ENOSPC;
	}
	e = xcalloc(1, sizeof(*e));
	if ((rc = pack(f, &e->data, &e->len)) < 0) {
		free(e);
		return rc;
	}
	e->id = h->next_id++;
	e->phase = phase;
	e->cookie = cookie;
	e->deadline = h->lim.timeout > 0 ? now + h->lim.timeout : 0;
	*h->tail = e;
	h->tail = &e->next;
	h->count++;
	h->bytes += e->len;
	*id = e->id;
	return 0;
}

static struct held **find(struct hold *h, uint64_t id)
{
	struct held **p = &h->head;

	for (; *p; p = &(*p)->next)
		if ((*p)->id == id)
			return p;
	return NULL;
}

/* Takes the entry out of the list (its memory now the caller's). */
static struct held *unlink_at(struct hold *h, struct held **p)
{
	struct held *e = *p;

	*p = e->next;
	if (h->tail == &e->next)
		h->tail = p;
	h->count--;
	h->bytes -= e->len;
	e->next = NULL;
	return e;
}

Snare__Flow *hold_get(const struct hold *h, uint64_t id)
{
	for (const struct held *e = h->head; e; e = e->next)
		if (e->id == id)
			return snare__flow__unpack(NULL, e->len, e->data);
	return NULL;
}

void *hold_cookie(const struct hold *h, uint64_t id, enum hold_phase *phase)
{
	for (const struct held *e = h->head; e; e = e->next)
		if (e->id == id) {
			*phase = e->phase;
			return e->cookie;
		}
	return NULL;
}

size_t hold_list(const struct hold *h, uint64_t *ids, size_t max)
{
	size_t n = 0;

	for (const struct held *e = h->head; e; e = e->next, n++)
		if (n < max)
			ids[n] = e->id;
	return n;
}

int hold_edit(struct hold *h, uint64_t id, const Snare__Flow *edited)
{
	struct held **p = find(h, id);
	size_t len = snare__flow__get_packed_size(edited);
	uint8_t *data;
	int rc;

	if (!p)
		return -ENOENT;
	if (len > (*p)->len && len - (*p)->len > h->lim.max_bytes - h->bytes)
		return -ENOSPC;
	if ((rc = pack(edited, &data, &len)) < 0)
		return rc;
	h->bytes = h->bytes - (*p)->len + len;
	free((*p)->data);
	(*p)->data = data;
	(*p)->len = len;
	(*p)->edited = true;
	return 0;
}

/* Resumes an entry already out of the list, with `edited` or its stored
 * edit; the entry is freed after the callback. */
static void resume_entry(struct hold *h, struct held *e, const Snare__Flow *edited)
{
	Snare__Flow *stored = NULL;

	if (!edited && e->edited)
		edited = stored = snare__flow__unpack(NULL, e->len, e->data);
	if (h->ops.resume)
		h->ops.resume(h->owner, e->cookie, e->phase, edited);
	if (stored)
		snare__flow__free_unpacked(stored, NULL);
	held_free(e);
}

int hold_resume(struct hold *h, uint64_t id, const Snare__Flow *edited)
{
	struct held **p = find(h, id);

	if (!p)
		return -ENOENT;
	resume_entry(h, unlink_at(h, p), edited);
	return 0;
}

int hold_kill(struct hold *h, uint64_t id)
{
	struct held **p = find(h, id);
	struct held *e;

	if (!p)
		return -ENOENT;
	e = unlink_at(h, p);
	if (h->ops.kill)
		h->ops.kill(h->owner, e->cookie, e->phase);
	held_free(e);
	return 0;
}

/* Resumes the first entry that `pick` selects, oldest first; false when
 * none.  One at a time, since a callback may change the list. */
static bool resume_first(struct hold *h, bool (*pick)(const struct held *e, double now), double now)
{
	for (struct held **p = &h->head; *p; p = &(*p)->next)
		if (pick(*p, now)) {
			resume_entry(h, unlink_at(h, p), NULL);
			return true;
		}
	return false;
}

static bool any(const struct held *e, double now)
{
	(void)e, (void)now;
	return true;
}

static bool expired(const struct held *e, double now)
{
	return e->deadline > 0 && e->deadline <= now;
}

size_t hold_resume_all(struct hold *h)
{
	size_t n = 0, max = h->count;

	/* Flows held again by the callbacks wait for the next call. */
	while (n < max && resume_first(h, any, 0))
		n++;
	return n;
}

size_t hold_expire(struct hold *h, double now)
{
	size_t n = 0, max = h->count;

	while (n < max && resume_first(h, expired, now))
		n++;
	return n;
}

size_t hold_forget(struct hold *h, void *cookie)
{
	size_t n = 0;

	for (struct held **p = &h->head; *p;) {
		if ((*p)->cookie == cookie) {
			held_free(unlink_at(h, p));
			n++;
		} else {
			p = &(*p)->next;
		}
	}
	return n;
}

double hold_next_deadline(const struct hold *h)
{
	double d = 0;

	for (const struct held *e = h->head; e; e = e->next)
		if (e->deadline > 0 && (d == 0 || e->deadline < d))
			d = e->deadline;
	return d;
}

size_t hold_count(const struct hold *h)
{
	return h->count;
}

size_t hold_bytes(const struct hold *h)
{
	return h->bytes;
}

uint64_t hold_refused(const struct hold *h)
{
	return h->refused;
}
