/* Runs in the ui: the JSON API of docs/web-api.md, one handler per route,
 * picked from one table by method and path pattern ('*' matches one path
 * segment).  Requests passed the access rules already (ui_conn.c); their
 * parameters are still untrusted and checked here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "encoding/encoding.h"
#include "filter/filter.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"

#define UI_SEGS 8

typedef void (*route_fn)(struct ui *ui, struct ui_conn *c, struct ui_req *r);

struct route {
	const char *method;
	const char *pattern;
	route_fn fn;
};

/* ---- helpers ---- */

static ssize_t flow_arg(struct ui *ui, struct ui_conn *c, const char *id)
{
	ssize_t i = ui_store_find(ui->store, id);

	if (i < 0)
		ui_respond_error(c, 404, "no such flow");
	return i;
}

static long num_param(const struct ui_req *r, const char *name, long def, long max)
{
	char buf[32], *end;
	const char *v = ui_param(r, name, buf, sizeof(buf));
	long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 0)
		return def;
	return n > max ? max : n;
}

/* The whole flow named by the route's first argument, or NULL after an
 * error answer; *i is its index. */
static Snare__Flow *flow_load(struct ui *ui, struct ui_conn *c, const char *id, size_t *i)
{
	ssize_t k = flow_arg(ui, c, id);
	Snare__Flow *f;

	if (k < 0)
		return NULL;
	*i = (size_t)k;
	if ((f = ui_store_load(ui->store, *i)) == NULL)
		ui_respond_error(c, 500, "cannot read the flow back");
	return f;
}

/* ---- state, flows, filter ---- */

static void api_state(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	json_t *modes = json_array();
	size_t i;

	for (i = 0; i < ui->nmodes; i++)
		json_array_append_new(modes, ui_json_str(ui->modes[i]));
	json_t *j =
	    json_pack("{s:s,s:o,s:s,s:I,s:I,s:b}", "version", SNARE_VERSION, "modes", modes, "csrf",
		      ui->access.csrf, "flows", (json_int_t)ui_store_count(ui->store), "dropped",
		      (json_int_t)ui->coord_dropped, "wireguard", ui->nwg > 0);

	json_object_set_new(j, "intercept", json_string(ui_hold_filter()));
	json_object_set_new(j, "held", json_integer((json_int_t)ui_hold_count()));
	ui_respond_json(c, 200, j);
}

/* The /api/flows answer (docs/web-api.md); takes rows. */
static void flows_answer(struct ui_conn *c, size_t total, size_t off, json_t *rows, bool complete,
			 size_t scanned)
{
	ui_respond_json(c, 200,
			json_pack("{s:I,s:I,s:o,s:b,s:I}", "total", (json_int_t)total, "offset",
				  (json_int_t)off, "flows", rows, "complete", complete, "scanned",
				  (json_int_t)scanned));
}

/* The list page of every flow in arrival order (or its reverse): the rows
 * asked for and nothing more, so that a page following live traffic costs
 * the ui a screen of rows per fetch, however many flows there are. */
static void flows_in_order(struct ui *ui, struct ui_conn *c, size_t off, size_t lim, bool desc)
{
	size_t n = ui_store_count(ui->store), i;
	json_t *rows = json_array();

	for (i = off; i < n && i - off < lim; i++)
		json_array_append_new(rows, ui_json_summary(ui->store, desc ? n - 1 - i : i));
	flows_answer(c, n, off, rows, true, n);
}

static void api_flows(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char expr[4096], field[64], order[8], err[256];
	const char *e = ui_param(r, "filter", expr, sizeof(expr));
	const char *f = ui_param(r, "sort", field, sizeof(field));
	const char *o = ui_param(r, "order", order, sizeof(order));
	long off = num_param(r, "offset", 0, LONG_MAX), lim;
	uint32_t *idx;
	size_t n, i, scanned;
	bool complete;
	json_t *rows;

	lim = num_param(r, "limit", UI_LIMIT_DEFAULT, UI_LIMIT_MAX);
	if (f && *f && !ui_query_field_ok(f)) {
		ui_respond_error(c, 400, "unknown sort field");
		return;
	}
	if ((e == NULL || *e == '\0') && (f == NULL || *f == '\0' || strcmp(f, "seq") == 0)) {
		flows_in_order(ui, c, (size_t)off, (size_t)lim, o && strcmp(o, "desc") == 0);
		return;
	}
	if (ui_query_first(ui, e, f && *f ? f : NULL, o && strcmp(o, "desc") == 0,
			   (size_t)off + (size_t)lim, &idx, &n, &complete, &scanned, err,
			   sizeof(err)) < 0) {
		ui_respond_error(c, 400, err);
		return;
	}
	rows = json_array();
	for (i = (size_t)off; i < n && i < (size_t)off + (size_t)lim; i++)
		json_array_append_new(rows, ui_json_summary(ui->store, idx[i]));
	free(idx);
	flows_answer(c, n, (size_t)off, rows, complete, scanned);
}

static void api_flow(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	size_t i;
	Snare__Flow *f = flow_load(ui, c, r->args[0], &i);

	if (f == NULL)
		return;
	ui_respond_json(c, 200, ui_json_flow(ui->store, i, f));
	snare__flow__free_unpacked(f, NULL);
}

/* Only compiles the expression: the list's own request runs the query. */
static void api_filter(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char expr[4096], err[256];
	const char *q = ui_param(r, "q", expr, sizeof(expr));
	struct filter *f;

	if (q == NULL || *q == '\0') {
		ui_respond_json(c, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (filter_compile(q, &f, err, sizeof(err)) < 0) {
		ui_respond_json(c, 200, json_pack("{s:b,s:o}", "ok", 0, "error", ui_json_str(err)));
		return;
	}
	filter_free(f);
	ui_respond_json(c, 200, json_pack("{s:b}", "ok", 1));
}

static void api_filter_match(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char expr[4096], id[128], err[256];
	const char *q = ui_param(r, "q", expr, sizeof(expr));
	const char *fid = ui_param(r, "id", id, sizeof(id));
	ssize_t i = fid ? flow_arg(ui, c, fid) : -1;
	int m;

	if (fid == NULL)
		ui_respond_error(c, 400, "id is missing");
	if (i < 0)
		return;
	m = q && *q ? ui_query_match(ui, q, (size_t)i, err, sizeof(err)) : 1;
	if (m < 0)
		ui_respond_error(c, 400, err);
	else
		ui_respond_json(c, 200, json_pack("{s:b}", "match", m));
}

static void api_mark(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	ssize_t i = flow_arg(ui, c, r->args[0]);
	json_t *j, *m;

	if (i < 0)
		return;
	j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
	m = j ? json_object_get(j, "marked") : NULL;
	if (m == NULL || !json_is_boolean(m)) {
		json_decref(j);
		ui_respond_error(c, 400, "expected {\"marked\": true|false}");
		return;
	}
	ui_store_set_marked(ui->store, (size_t)i, json_is_true(m));
	json_decref(j);
	ui->mark_gen++;
	ui_ws_broadcast(ui, json_pack("{s:s,s:o}", "type", "flow", "flow",
				      ui_json_summary(ui->store, (size_t)i)));
	ui_respond_json(c, 200, ui_json_summary(ui->store, (size_t)i));
}

static void api_events(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char lv[16];
	const char *l = ui_param(r, "level", lv, sizeof(lv));
	int max = l && *l ? ui_level_parse(l) : 3;
	json_t *a = json_array();
	size_t i;

	if (max < 0) {
		json_decref(a);
		ui_respond_error(c, 400, "level is one of debug, info, warn, error");
		return;
	}
	for (i = 0; i < ui_events_count(&ui->events); i++) {
		const struct ui_event *ev = ui_events_at(&ui->events, i);

		if ((int)ev->level <= max)
			json_array_append_new(a, ui_json_event(ev));
	}
	ui_respond_json(c, 200, json_pack("{s:o}", "events", a));
}

static void api_wireguard(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	json_t *a = json_array();
	size_t i;

	if (ui->nwg == 0) {
		json_decref(a);
		ui_respond_error(c, 404, "not in WireGuard mode");
		return;
	}
	for (i = 0; i < ui->nwg; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:o}", "name",
						   ui_json_str(ui->wg[i].name), "text",
						   ui_json_str(ui->wg[i].text), "qr_svg",
						   ui_json_str(ui->wg[i].svg)));
	ui_respond_json(c, 200, json_pack("{s:o}", "configs", a));
}

/* ---- contents ---- */

/* The body of part (0 request, 1 response) and its headers. */
static bool body_of(const Snare__Flow *f, unsigned part, ProtobufCBinaryData *b, Snare__Header ***h,
		    size_t *nh)
{
	if (part == 0 && f->request && f->request->has_content) {
		*b = f->request->content;
		*h = f->request->headers;
		*nh = f->request->n_headers;
		return true;
	}
	if (part == 1 && f->response && f->response->has_content) {
		*b = f->response->content;
		*h = f->response->headers;
		*nh = f->response->n_headers;
		return true;
	}
	return false;
}

/* A header value copied into out (printable ASCII only), or NULL. */
static const char *header_copy(Snare__Header *const *h, size_t n, const char *name, char *out,
			       size_t outlen)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (h[i]->name.len != strlen(name) ||
		    strncasecmp((const char *)h[i]->name.data, name, h[i]->name.len) != 0 ||
		    h[i]->value.len >= outlen)
			continue;
		for (k = 0; k < h[i]->value.len; k++) {
			uint8_t ch = h[i]->value.data[k];

			if (ch < 0x20 || ch > 0x7e)
				return NULL;
			out[k] = (char)ch;
		}
		out[k] = '\0';
		return out;
	}
	return NULL;
}

/* decode=1: the body without its Content-Encoding, or 422. */
static void send_decoded(struct ui_conn *c, const char *ctype, const char *enc, const uint8_t *p,
			 size_t n)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int rc = encoding_decode(enc, strlen(enc), p, n, ENCODING_DEFAULT_CAP, &out, &len);

	if (rc < 0)
		ui_respond_text(c, 422,
				rc == -ENOTSUP	  ? "unknown Content-Encoding\n"
				: rc == -EMSGSIZE ? "the decoded body is too large\n"
						  : "the body does not decode\n");
	else
		ui_respond(c, 200, ctype ? ctype : "application/octet-stream", NULL, out, len);
	free(out);
}

static void send_body(struct ui *ui, struct ui_conn *c, struct ui_req *r, unsigned part)
{
	char ctype[256], enc[128], d[4];
	Snare__Header **h;
	ProtobufCBinaryData b;
	size_t nh, i;
	Snare__Flow *f = flow_load(ui, c, r->args[0], &i);

	if (f == NULL)
		return;
	if (!body_of(f, part, &b, &h, &nh)) {
		ui_respond_error(c, 404, "no body (absent or streamed)");
	} else {
		const char *ct = header_copy(h, nh, "content-type", ctype, sizeof(ctype));
		const char *ce = header_copy(h, nh, "content-encoding", enc, sizeof(enc));
		const char *dec = ui_param(r, "decode", d, sizeof(d));

		if (dec && strcmp(dec, "1") == 0 && ce && strcasecmp(ce, "identity") != 0)
			send_decoded(c, ct, ce, b.data, b.len);
		else
			ui_respond(c, 200, ct ? ct : "application/octet-stream", NULL, b.data,
				   b.len);
	}
	snare__flow__free_unpacked(f, NULL);
}

static void api_req_content(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	send_body(ui, c, r, 0);
}

static void api_resp_content(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	send_body(ui, c, r, 1);
}

static void api_msg_content(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char *end;
	unsigned long n = strtoul(r->args[1], &end, 10);
	size_t i;
	Snare__Flow *f = flow_load(ui, c, r->args[0], &i);

	if (f == NULL)
		return;
	if (*end != '\0' || *r->args[1] == '\0' || n >= f->n_messages)
		ui_respond_error(c, 404, "no such message");
	else
		ui_respond(c, 200,
			   f->messages[n]->kind == SNARE__MESSAGE__KIND__TEXT
			       ? "text/plain; charset=utf-8"
			       : "application/octet-stream",
			   NULL, f->messages[n]->content.data, f->messages[n]->content.len);
	snare__flow__free_unpacked(f, NULL);
}

/* ---- export and import ---- */

/* The flows ?ids= or ?filter= name (all when neither); false after an error
 * answer. */
static bool selection(struct ui *ui, struct ui_conn *c, struct ui_req *r, uint32_t **idx, size_t *n)
{
	static char ids[64 * 1024];
	char expr[4096], err[256];
	const char *l = ui_param(r, "ids", ids, sizeof(ids));
	const char *e = ui_param(r, "filter", expr, sizeof(expr));

	if (l == NULL) {
		if (ui_query(ui, e, NULL, false, idx, n, err, sizeof(err)) == 0)
			return true;
		ui_respond_error(c, 400, err);
		return false;
	}
	*n = 0;
	*idx = xmalloc((strlen(l) / 8 + 1) * sizeof(**idx));
	for (char *save = NULL, *t = strtok_r(ids, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		ssize_t i = ui_store_find(ui->store, t);

		if (i >= 0)
			(*idx)[(*n)++] = (uint32_t)i;
	}
	return true;
}

static void api_export_snare(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	uint32_t *idx;
	size_t n;

	if (selection(ui, c, r, &idx, &n))
		ui_export_snare(ui, c, idx, n);
}

static void api_export_har(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	uint32_t *idx;
	size_t n;

	if (selection(ui, c, r, &idx, &n))
		ui_export_har(ui, c, idx, n);
}

static void api_import(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char err[512];
	size_t n = 0;

	if (ui_import(ui, r->body, r->body_len, &n, err, sizeof(err)) < 0) {
		ui_respond_error(c, 400, err);
		return;
	}
	ui_respond_json(c, 200, json_pack("{s:I}", "imported", (json_int_t)n));
}

/* ---- dispatch ---- */

static const struct route routes[] = {
    {"GET", "api/state", api_state},
    {"GET", "api/flows", api_flows},
    {"GET", "api/filter", api_filter},
    {"GET", "api/filter/match", api_filter_match},
    {"GET", "api/events", api_events},
    {"GET", "api/wireguard", api_wireguard},
    {"POST", "api/flows/import", api_import},
    {"POST", "api/flows/resume", ui_api_resume_all},
    {"POST", "api/flows/kill", ui_api_kill_all},
    {"POST", "api/flows/*/resume", ui_api_resume},
    {"POST", "api/flows/*/kill", ui_api_kill},
    {"PUT", "api/flows/*", ui_api_edit},
    {"PUT", "api/options", ui_api_options},
    {"GET", "api/flows/*", api_flow},
    {"GET", "api/flows/*/request/content", api_req_content},
    {"GET", "api/flows/*/response/content", api_resp_content},
    {"GET", "api/flows/*/messages/*/content", api_msg_content},
    {"POST", "api/flows/*/mark", api_mark},
    {"POST", "api/flows/*/replay", ui_api_replay},
    {"GET", "flows.har", api_export_har},
    {"GET", "flows.snare", api_export_snare},
};

/* Splits path (modified) into segments; their number, or -1 when too many. */
static int split(char *path, char **seg)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (n == UI_SEGS)
			return -1;
		seg[n++] = t;
	}
	return n;
}

/* Whether pattern matches the segments; fills args with the wildcards. */
static bool route_match(const char *pattern, char **seg, int n, char **args)
{
	char pat[128], *ps[UI_SEGS];
	int pn, i, a = 0;

	snprintf(pat, sizeof(pat), "%s", pattern);
	if ((pn = split(pat, ps)) != n)
		return false;
	for (i = 0; i < n; i++) {
		if (strcmp(ps[i], "*") == 0)
			args[a++] = seg[i];
		else if (strcmp(ps[i], seg[i]) != 0)
			return false;
	}
	return true;
}

static void serve_static(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	const uint8_t *data;
	const char *ctype;
	size_t len;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		ui_respond_error(c, 405, "method not allowed");
		return;
	}
	if (!ui_static_get(ui->files, r->path, &data, &len, &ctype)) {
		ui_respond_text(c, 404, "not found\n");
		return;
	}
	ui_respond(c, 200, ctype, NULL, data, strcmp(r->method, "HEAD") == 0 ? 0 : len);
}

void ui_api_dispatch(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	char path[sizeof(r->path)], *seg[UI_SEGS];
	int n;
	size_t i;
	bool other_method = false; /* the path is routed, for another method */

	snprintf(path, sizeof(path), "%s", r->path);
	n = split(path, seg);
	for (i = 0; n > 0 && i < ARRAY_SIZE(routes); i++) {
		if (!route_match(routes[i].pattern, seg, n, r->args))
			continue;
		if (strcmp(routes[i].method, r->method) != 0) {
			other_method = true;
			continue;
		}
		routes[i].fn(ui, c, r);
		return;
	}
	if (other_method)
		ui_respond_error(c, 405, "method not allowed");
	else
		serve_static(ui, c, r);
}
