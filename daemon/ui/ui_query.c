/* Runs in the ui: /api/flows' filtering, sorting and paging, server-side so
 * that the page never holds more than a screen of rows.  Filters are
 * mitmproxy's expressions, compiled and matched by daemon/filter/ against
 * each flow's summary (ui_light.h) or, for headers and bodies, the flow
 * read back from the spill file; the matches of the last
 * expression are kept and extended as flows arrive, so scrolling a filtered
 * list reads nothing twice.  A new expression is matched for a bounded time
 * before the list answers (the first screen of matches first), the rest in
 * short slices of a loop timer, so that no request waits for a whole scan of
 * the spill file.  The expression is untrusted text. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "ui/ui_int.h"
#include "ui/ui_light.h"

/* ---- sorting ---- */

enum key_kind { K_NUM, K_STR };

struct sort_key {
	const char *name;
	enum key_kind kind;
	enum ui_str str;		       /* K_STR */
	double (*num)(const struct ui_sum *m); /* K_NUM */
};

static double k_seq(const struct ui_sum *m)
{
	return m->seq;
}
static double k_kind(const struct ui_sum *m)
{
	return m->kind;
}
static double k_port(const struct ui_sum *m)
{
	return m->port;
}
static double k_status(const struct ui_sum *m)
{
	return m->flags & UI_F_STATUS ? m->status : -1;
}
static double k_req(const struct ui_sum *m)
{
	return (double)m->req_size;
}
static double k_resp(const struct ui_sum *m)
{
	return (double)m->resp_size;
}
static double k_ts(const struct ui_sum *m)
{
	return m->ts_start;
}
static double k_dur(const struct ui_sum *m)
{
	return m->flags & UI_F_DURATION ? m->duration_ms : -1;
}
static double k_marked(const struct ui_sum *m)
{
	return m->flags & UI_F_MARKED;
}
static double k_msgs(const struct ui_sum *m)
{
	return m->messages;
}

static const struct sort_key keys[] = {
    {"seq", K_NUM, 0, k_seq},
    {"type", K_NUM, 0, k_kind},
    {"method", K_STR, UI_S_METHOD, NULL},
    {"scheme", K_STR, UI_S_SCHEME, NULL},
    {"host", K_STR, UI_S_HOST, NULL},
    {"port", K_NUM, 0, k_port},
    {"path", K_STR, UI_S_PATH, NULL},
    {"url", K_STR, UI_S_HOST, NULL}, /* then path, in cmp() */
    {"http_version", K_STR, UI_S_VERSION, NULL},
    {"status", K_NUM, 0, k_status},
    {"req_size", K_NUM, 0, k_req},
    {"resp_size", K_NUM, 0, k_resp},
    {"content_type", K_STR, UI_S_CTYPE, NULL},
    {"ts_start", K_NUM, 0, k_ts},
    {"duration_ms", K_NUM, 0, k_dur},
    {"client", K_STR, UI_S_CLIENT, NULL},
    {"server", K_STR, UI_S_SERVER, NULL},
    {"process", K_STR, UI_S_PROCESS, NULL},
    {"marked", K_NUM, 0, k_marked},
    {"error", K_STR, UI_S_ERROR, NULL},
    {"messages", K_NUM, 0, k_msgs},
    {"dns_name", K_STR, UI_S_DNS, NULL},
    {"id", K_STR, UI_S_ID, NULL},
};

static const struct sort_key *key_of(const char *field)
{
	size_t i;

	for (i = 0; field && i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, field) == 0)
			return &keys[i];
	return NULL;
}

bool ui_query_field_ok(const char *field)
{
	return key_of(field) != NULL;
}

struct sort_ctx {
	const struct ui_store *s;
	const struct sort_key *k;
	bool desc;
	const char **keys; /* K_STR: each flow's string, looked up once */
};

static int cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *x = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	int r = 0;

	if (x->k->kind == K_NUM) {
		double u = x->k->num(ui_store_sum(x->s, i)), v = x->k->num(ui_store_sum(x->s, j));

		r = u < v ? -1 : u > v;
	} else {
		r = strcmp(x->keys[i], x->keys[j]);
		if (r == 0 && strcmp(x->k->name, "url") == 0)
			r = strcmp(ui_store_str(x->s, i, UI_S_PATH, NULL),
				   ui_store_str(x->s, j, UI_S_PATH, NULL));
	}
	if (r == 0) /* stable: arrival order */
		r = i < j ? -1 : i > j;
	else if (x->desc)
		r = -r;
	return r;
}

/* ---- filtering ---- */

static int compile(const char *expr, struct filter **f, char *err, size_t errlen)
{
	return filter_compile(expr, f, err, errlen);
}

static bool match_one(struct ui *ui, const struct filter *f, size_t i)
{
	struct filter_extra x = {.marked = ui_store_sum(ui->store, i)->flags & UI_F_MARKED};
	Snare__Flow *flow = ui_store_load(ui->store, i);
	bool m = flow != NULL && filter_match(f, flow, &x);

	if (flow)
		snare__flow__free_unpacked(flow, NULL);
	return m;
}

static void cache_drop(struct ui *ui)
{
	struct ui_filter_cache *c = &ui->cache;

	if (c->timer_ready)
		loop_timer_cancel(ui->loop, &c->timer);
	if (c->f)
		filter_free(c->f);
	free(c->expr);
	free(c->idx);
	memset(c, 0, sizeof(*c));
}

void ui_query_free(struct ui *ui)
{
	cache_drop(ui);
}

static void cache_add(struct ui_filter_cache *c, size_t i)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->idx = xrealloc(c->idx, c->cap * sizeof(*c->idx));
	}
	c->idx[c->n++] = (uint32_t)i;
}

static void cache_one(size_t i, const Snare__Flow *flow, void *arg)
{
	struct ui *ui = arg;
	struct ui_filter_cache *c = &ui->cache;
	struct filter_extra x = {.marked = ui_store_sum(ui->store, i)->flags & UI_F_MARKED};

	if (filter_match(c->f, flow, &x))
		cache_add(c, i);
}

/* Filters that need only the summary match a light flow rebuilt from it
 * (ui_light.h); the others read every flow back. */
static int cache_extend(struct ui *ui, size_t from, size_t to)
{
	struct ui_filter_cache *c = &ui->cache;

	if (filter_needs(c->f) != 0)
		return ui_store_scan(ui->store, from, to, cache_one, ui);
	for (size_t i = from; i < to; i++)
		if (ui_light_match(ui->store, i, c->f))
			cache_add(c, i);
	return 0;
}

/* Flows matched between two looks at the clock (200,000 flows take
 * 0.1-0.3 s in a release build, so a step is a few milliseconds). */
#define SCAN_STEP 2048u
#define SCAN_SLICE_MS 15 /* one background slice; other work runs between */

static void cache_slice(struct loop_timer *t);

/* Extends the cache towards every flow in the store: until it is complete,
 * or holds `want` matches, or budget_ms (0: no limit) have passed.  When
 * flows are left, a timer goes on with them in slices.  0 or -ENOMEM. */
static int cache_run(struct ui *ui, size_t want, uint64_t budget_ms)
{
	struct ui_filter_cache *c = &ui->cache;
	uint64_t t0 = clock_ms();
	size_t total;

	while (c->upto < (total = ui_store_count(ui->store))) {
		size_t to = total - c->upto > SCAN_STEP ? c->upto + SCAN_STEP : total;

		if (c->n >= want || (budget_ms && clock_ms() - t0 >= budget_ms))
			break;
		if (cache_extend(ui, c->upto, to) < 0)
			return -ENOMEM;
		c->upto = to;
	}
	if (c->upto < ui_store_count(ui->store) && c->timer_ready && !loop_timer_armed(&c->timer))
		loop_timer_arm(ui->loop, &c->timer, 0);
	return 0;
}

/* The background: one slice per loop round, until the cache is complete
 * (flows that arrive later are matched by the next query). */
static void cache_slice(struct loop_timer *t)
{
	struct ui *ui = t->arg;

	if (ui->cache.f)
		(void)cache_run(ui, SIZE_MAX, SCAN_SLICE_MS);
}

/* The cache for expr (compiled anew when expr or the marks changed),
 * extended as cache_run says. */
static int cache_for(struct ui *ui, const char *expr, size_t want, uint64_t budget_ms, char *err,
		     size_t errlen)
{
	struct ui_filter_cache *c = &ui->cache;
	int rc;

	if (c->expr == NULL || strcmp(c->expr, expr) != 0 || c->mark_gen != ui->mark_gen) {
		struct filter *f;

		if ((rc = compile(expr, &f, err, errlen)) < 0)
			return rc;
		cache_drop(ui);
		c->f = f;
		c->expr = xstrdup(expr);
		c->mark_gen = ui->mark_gen;
		loop_timer_init(&c->timer, cache_slice, ui);
		c->timer_ready = ui->loop != NULL;
	}
	return cache_run(ui, want, budget_ms);
}

/* *idx: a copy of the first n matches of the cache. */
static void cache_copy(const struct ui_filter_cache *c, size_t n, uint32_t **idx)
{
	*idx = xmalloc((n ? n : 1) * sizeof(**idx));
	if (n > 0)
		memcpy(*idx, c->idx, n * sizeof(**idx));
}

/* Sorts idx[0..n) by x's key (seq: already in order, reversed for desc). */
static void sort_idx(struct ui *ui, struct sort_ctx *x, uint32_t *idx, size_t n)
{
	size_t i, total = ui_store_count(ui->store);

	if (strcmp(x->k->name, "seq") == 0) {
		for (i = 0; x->desc && i < n / 2; i++) {
			uint32_t t = idx[i];

			idx[i] = idx[n - 1 - i];
			idx[n - 1 - i] = t;
		}
		return;
	}
	if (x->k->kind == K_STR) {
		x->keys = xcalloc(total ? total : 1, sizeof(*x->keys));
		for (i = 0; i < n; i++)
			x->keys[idx[i]] = ui_store_str(ui->store, idx[i], x->k->str, NULL);
	}
	qsort_r(idx, n, sizeof(*idx), cmp, x);
	free(x->keys);
	x->keys = NULL;
}

/* ui_query and ui_query_first: budget_ms 0 matches every flow now. */
static int query(struct ui *ui, const char *expr, const char *field, bool desc, size_t want,
		 uint64_t budget_ms, uint32_t **idx, size_t *n, bool *complete, size_t *scanned,
		 char *err, size_t errlen)
{
	struct sort_ctx x = {.s = ui->store, .k = key_of(field ? field : "seq"), .desc = desc};
	size_t i, total = ui_store_count(ui->store);
	bool in_order = x.k && strcmp(x.k->name, "seq") == 0 && !desc;
	int rc;

	if (x.k == NULL) {
		snprintf(err, errlen, "unknown sort field: %s", field);
		return -EINVAL;
	}
	*complete = true;
	*scanned = total;
	if (expr && *expr) {
		if ((rc = cache_for(ui, expr, in_order ? want : SIZE_MAX, budget_ms, err, errlen)) <
		    0)
			return rc;
		*complete = ui->cache.upto >= total;
		*scanned = ui->cache.upto;
		*n = *complete || in_order ? ui->cache.n : 0;
		cache_copy(&ui->cache, *n, idx);
	} else {
		*n = total;
		*idx = xmalloc((total ? total : 1) * sizeof(**idx));
		for (i = 0; i < total; i++)
			(*idx)[i] = (uint32_t)i;
	}
	if (*complete)
		sort_idx(ui, &x, *idx, *n);
	return 0;
}

int ui_query_first(struct ui *ui, const char *expr, const char *field, bool desc, size_t want,
		   uint32_t **idx, size_t *n, bool *complete, size_t *scanned, char *err,
		   size_t errlen)
{
	return query(ui, expr, field, desc, want, UI_QUERY_ANSWER_MS, idx, n, complete, scanned,
		     err, errlen);
}

int ui_query(struct ui *ui, const char *expr, const char *field, bool desc, uint32_t **idx,
	     size_t *n, char *err, size_t errlen)
{
	size_t scanned;
	bool complete;

	return query(ui, expr, field, desc, SIZE_MAX, 0, idx, n, &complete, &scanned, err, errlen);
}

int ui_query_match(struct ui *ui, const char *expr, size_t i, char *err, size_t errlen)
{
	struct filter *f;
	bool m;
	int rc;

	if ((rc = compile(expr, &f, err, errlen)) < 0)
		return rc;
	m = match_one(ui, f, i);
	filter_free(f);
	return m;
}
