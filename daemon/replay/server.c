/* Server replay: the index of recorded flows by match hash and the
 * decision for a live request (replay.h gives mitmproxy's rules).  The
 * flows are copies owned here; the live request is only read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/flowfile.h"
#include "replay/replay_int.h"
#include "replay/server_int.h"

static const struct {
	const char *name;
	enum replay_extra extra;
	unsigned status;
} extras[] = {
    {"forward", REPLAY_EXTRA_FORWARD, 0}, {"kill", REPLAY_EXTRA_KILL, 0},
    {"204", REPLAY_EXTRA_STATUS, 204},	  {"400", REPLAY_EXTRA_STATUS, 400},
    {"404", REPLAY_EXTRA_STATUS, 404},	  {"500", REPLAY_EXTRA_STATUS, 500},
};

int replay_extra_parse(const char *s, enum replay_extra *extra, unsigned *status)
{
	for (size_t i = 0; i < ARRAY_SIZE(extras); i++)
		if (strcmp(s, extras[i].name) == 0) {
			*extra = extras[i].extra;
			*status = extras[i].status;
			return 0;
		}
	return -EINVAL;
}

static const char *const *copy_list(struct replay_server *s, const char *const *l, size_t n)
{
	size_t first = s->nstrs;

	for (size_t i = 0; i < n; i++)
		s->strs[s->nstrs++] = xstrdup(l[i]);
	return (const char *const *)(s->strs + first);
}

int replay_server_new(const struct replay_server_opts *o, struct replay_server **out)
{
	struct replay_server *s = xcalloc(1, sizeof(*s));
	size_t n = o->n_ignore_params + o->n_ignore_payload_params + o->n_use_headers;

	s->o = *o;
	s->strs = xcalloc(n ? n : 1, sizeof(*s->strs));
	s->o.ignore_params = copy_list(s, o->ignore_params, o->n_ignore_params);
	s->o.ignore_payload_params =
	    copy_list(s, o->ignore_payload_params, o->n_ignore_payload_params);
	s->o.use_headers = copy_list(s, o->use_headers, o->n_use_headers);
	s->nbuckets = 64;
	s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
	*out = s;
	return 0;
}

static void group_free(struct replay_group *g)
{
	for (size_t i = g->head; i < g->n; i++)
		snare__flow__free_unpacked(g->flows[i], NULL);
	free(g->flows);
	free(g);
}

void replay_server_free(struct replay_server *s)
{
	if (!s)
		return;
	for (size_t b = 0; b < s->nbuckets; b++)
		for (struct replay_group *g = s->buckets[b], *next; g; g = next) {
			next = g->next;
			group_free(g);
		}
	for (size_t i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->buckets);
	free(s);
}

static size_t bucket_of(const uint8_t key[32], size_t nbuckets)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return (size_t)(h & (nbuckets - 1));
}

static struct replay_group *find(const struct replay_server *s, const uint8_t key[32])
{
	for (struct replay_group *g = s->buckets[bucket_of(key, s->nbuckets)]; g; g = g->next)
		if (memcmp(g->key, key, 32) == 0)
			return g;
	return NULL;
}

static void grow(struct replay_server *s)
{
	size_t nb = s->nbuckets * 2;
	struct replay_group **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct replay_group *g = s->buckets[i], *next; g; g = next) {
			size_t k = bucket_of(g->key, nb);

			next = g->next;
			g->next = b[k];
			b[k] = g;
		}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
}

static struct replay_group *find_or_add(struct replay_server *s, const uint8_t key[32])
{
	struct replay_group *g = find(s, key);
	size_t k;

	if (g)
		return g;
	if (s->ngroups >= s->nbuckets)
		grow(s);
	g = xcalloc(1, sizeof(*g));
	memcpy(g->key, key, 32);
	k = bucket_of(key, s->nbuckets);
	g->next = s->buckets[k];
	s->buckets[k] = g;
	s->ngroups++;
	return g;
}

int replay_server_add(struct replay_server *s, const Snare__Flow *f)
{
	uint8_t key[32];
	struct replay_group *g;
	Snare__Flow *c;

	if ((f->has_type && f->type != SNARE__FLOW__TYPE__HTTP) || !f->request)
		return 1;
	replay_server_hash(s, f->request, key);
	if (!(c = replay_flow_copy(f)))
		return -ENOMEM;
	g = find_or_add(s, key);
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 2;
		g->flows = xrealloc(g->flows, g->cap * sizeof(*g->flows));
	}
	g->flows[g->n++] = c;
	s->remaining++;
	return 0;
}

struct load_ctx {
	struct replay_server *s;
	int rc;
};

static void load_one(const Snare__Flow *f, void *arg)
{
	struct load_ctx *c = arg;
	int rc = replay_server_add(c->s, f);

	if (rc < 0 && c->rc == 0)
		c->rc = rc;
}

int replay_server_load(struct replay_server *s, const char *path, char *err, size_t errlen)
{
	struct load_ctx c = {s, 0};
	int rc = flowfile_read(path, load_one, &c, err, errlen);

	return rc < 0 ? rc : c.rc;
}

size_t replay_server_count(const struct replay_server *s)
{
	return s->remaining;
}

/* mitmproxy's next_flow with popping: the first flow with a response,
 * dropping the ones without before it.  Ownership goes to the caller. */
static Snare__Flow *pop(struct replay_server *s, struct replay_group *g)
{
	while (g->head < g->n) {
		Snare__Flow *f = g->flows[g->head];

		g->flows[g->head++] = NULL;
		s->remaining--;
		if (f->response)
			return f;
		snare__flow__free_unpacked(f, NULL);
	}
	return NULL;
}

/* With reuse: a copy of the first flow with a response (*f stays NULL
 * when there is none); -ENOMEM when the copy fails. */
static int reuse(struct replay_group *g, Snare__Flow **f)
{
	for (size_t i = g->head; i < g->n; i++)
		if (g->flows[i]->response)
			return (*f = replay_flow_copy(g->flows[i])) ? 0 : -ENOMEM;
	return 0;
}

static void answer(struct replay_answer *a, Snare__Flow *f, const struct replay_server *s,
		   double now)
{
	a->verdict = REPLAY_ANSWER;
	a->flow = f;
	if (s->o.refresh)
		replay_refresh(f->response, now);
	free(f->is_replay);
	f->is_replay = xstrdup("response");
}

int replay_server_lookup(struct replay_server *s, const Snare__HttpRequest *req, double now,
			 struct replay_answer *a)
{
	uint8_t key[32];
	struct replay_group *g;
	Snare__Flow *f = NULL;

	memset(a, 0, sizeof(*a));
	a->verdict = REPLAY_FORWARD;
	if (s->remaining == 0) /* mitmproxy's `if self.flowmap:` */
		return 0;
	replay_server_hash(s, req, key);
	if ((g = find(s, key)) && s->o.reuse) {
		int rc = reuse(g, &f);

		if (rc < 0)
			return rc;
	} else if (g) {
		f = pop(s, g);
	}
	if (f) {
		answer(a, f, s, now);
		return 0;
	}
	if (s->o.extra == REPLAY_EXTRA_KILL)
		a->verdict = REPLAY_KILL;
	else if (s->o.extra == REPLAY_EXTRA_STATUS) {
		a->verdict = REPLAY_STATUS;
		a->status = s->o.extra_status;
	}
	return 0;
}

void replay_answer_free(struct replay_answer *a)
{
	if (a->flow)
		snare__flow__free_unpacked(a->flow, NULL);
	memset(a, 0, sizeof(*a));
}
