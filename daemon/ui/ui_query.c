/* Runs in the ui: /api/flows' filtering, sorting and paging, server-side so
 * that the page never holds more than a screen of rows.  Filters are
 * mitmproxy's expressions, compiled and matched by daemon/filter/ against
 * each flow's summary (ui_light.h) or, for headers and bodies, the flow
 * read back from the spill file; the matches of the last
 * expression are kept and extended as flows arrive, so scrolling a filtered
 * list reads nothing twice.  The expression is untrusted text. */
#include <errno.h>
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

static void cache_drop(struct ui_filter_cache *c)
{
	if (c->f)
		filter_free(c->f);
	free(c->expr);
	free(c->idx);
	memset(c, 0, sizeof(*c));
}

void ui_query_free(struct ui *ui)
{
	cache_drop(&ui->cache);
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

/* The cache for expr, extended to every flow in the store. */
static int cache_for(struct ui *ui, const char *expr, char *err, size_t errlen)
{
	struct ui_filter_cache *c = &ui->cache;
	size_t total = ui_store_count(ui->store);
	int rc;

	if (c->expr == NULL || strcmp(c->expr, expr) != 0 || c->mark_gen != ui->mark_gen) {
		struct filter *f;

		if ((rc = compile(expr, &f, err, errlen)) < 0)
			return rc;
		cache_drop(c);
		c->f = f;
		c->expr = xstrdup(expr);
		c->mark_gen = ui->mark_gen;
	}
	if (c->upto < total && cache_extend(ui, c->upto, total) < 0)
		return -ENOMEM;
	c->upto = total;
	return 0;
}

int ui_query(struct ui *ui, const char *expr, const char *field, bool desc, uint32_t **idx,
	     size_t *n, char *err, size_t errlen)
{
	struct sort_ctx x = {.s = ui->store, .k = key_of(field ? field : "seq"), .desc = desc};
	size_t i, total = ui_store_count(ui->store);
	int rc;

	if (x.k == NULL) {
		snprintf(err, errlen, "unknown sort field: %s", field);
		return -EINVAL;
	}
	if (expr && *expr) {
		if ((rc = cache_for(ui, expr, err, errlen)) < 0)
			return rc;
		*n = ui->cache.n;
		*idx = xmalloc((*n ? *n : 1) * sizeof(**idx));
		if (*n > 0)
			memcpy(*idx, ui->cache.idx, *n * sizeof(**idx));
	} else {
		*n = total;
		*idx = xmalloc((total ? total : 1) * sizeof(**idx));
		for (i = 0; i < total; i++)
			(*idx)[i] = (uint32_t)i;
	}
	if (strcmp(x.k->name, "seq") == 0) { /* already in order */
		for (i = 0; desc && i < *n / 2; i++) {
			uint32_t t = (*idx)[i];

			(*idx)[i] = (*idx)[*n - 1 - i];
			(*idx)[*n - 1 - i] = t;
		}
		return 0;
	}
	if (x.k->kind == K_STR) {
		x.keys = xcalloc(total ? total : 1, sizeof(*x.keys));
		for (i = 0; i < *n; i++)
			x.keys[(*idx)[i]] = ui_store_str(ui->store, (*idx)[i], x.k->str, NULL);
	}
	qsort_r(*idx, *n, sizeof(**idx), cmp, &x);
	free(x.keys);
	return 0;
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
