/* Runs in the ui: intercept (ui_intercept.h).  Keeps the ids of the held
 * flows (a small list: workers hold at most a few dozen each), stores each
 * held flow like any other so the page lists and shows it, and answers the
 * intercept API by sending HoldCommand and InterceptSet to the coordinator.
 * The browser is untrusted: edits are checked here (header names are
 * tokens, no CR, LF or NUL anywhere, a status of 200..999) before they are
 * sent, and the worker checks them again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/unconst.h"
#include "filter/filter.h"
#include "ipc/ipc_hold.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"

#define UI_EDIT_MAX (IPC_MAX_FRAME - 8192) /* an edited flow, packed */

struct held_id {
	char id[65];
	unsigned phase;
};

static struct {
	struct held_id v[UI_HELD_MAX];
	size_t n;
	char *filter;
} uh;

void ui_hold_configure(const char *filter)
{
	free(uh.filter);
	uh.filter = xstrdup(filter ? filter : "");
}

const char *ui_hold_filter(void)
{
	return uh.filter ? uh.filter : "";
}

size_t ui_hold_count(void)
{
	return uh.n;
}

static struct held_id *held_find(const char *id)
{
	for (size_t i = 0; i < uh.n; i++)
		if (strcmp(uh.v[i].id, id) == 0)
			return &uh.v[i];
	return NULL;
}

bool ui_hold_is_held(const char *id, unsigned *phase)
{
	const struct held_id *h = id ? held_find(id) : NULL;

	if (h && phase)
		*phase = h->phase;
	return h != NULL;
}

static void broadcast(struct ui *ui, const char *id)
{
	ssize_t i = ui_store_find(ui->store, id);

	if (i >= 0 && ui->conns)
		ui_ws_broadcast(ui, json_pack("{s:s,s:o}", "type", "flow", "flow",
					      ui_json_summary(ui->store, (size_t)i)));
}

void ui_on_held(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;
	const Snare__FlowHeld *m = ((Snare__CoordToUi *)f->msg)->held;
	struct held_id *h = held_find(m->flow->id);
	size_t i;

	if (h == NULL && uh.n == UI_HELD_MAX) {
		log_warn("web interface: too many held flows; %s is not shown", m->flow->id);
		return;
	}
	if (h == NULL) {
		h = &uh.v[uh.n++];
		snprintf(h->id, sizeof(h->id), "%s", m->flow->id);
	}
	h->phase = m->phase;
	/* Shown whatever view_filter says: it waits for the user. */
	if (ui_store_add(ui->store, m->flow, &i) < 0) {
		ui->coord_dropped++;
		return;
	}
	broadcast(ui, m->flow->id);
}

void ui_on_released(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;
	const Snare__FlowReleased *m = ((Snare__CoordToUi *)f->msg)->released;
	struct held_id *h = held_find(m->flow_id);

	if (h == NULL)
		return;
	*h = uh.v[--uh.n];
	broadcast(ui, m->flow_id);
}

void ui_on_intercept(struct ipc_chan *ch, struct ipc_frame *f)
{
	ui_hold_configure(((Snare__CoordToUi *)f->msg)->intercept->filter);
}

/* ---- commands to the coordinator ---- */

static int send_command(struct ui *ui, unsigned action, const char *id, Snare__Flow *flow)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;

	m.has_action = 1;
	m.action = action;
	m.flow_id = unconst(id);
	m.flow = flow;
	env.body_case = SNARE__UI_TO_COORD__BODY_HOLD;
	env.hold = &m;
	return ui->chan_open ? ipc_chan_send(&ui->chan, &env.base, NULL, 0) : -ENOTCONN;
}

static void answer(struct ui_conn *c, int rc)
{
	if (rc < 0)
		ui_respond_error(c, 503, "cannot reach the proxy");
	else
		ui_respond_json(c, 200, json_object());
}

/* The held flow named by the route, or an answer saying why not. */
static const char *held_arg(struct ui_conn *c, struct ui_req *r)
{
	if (!ui_hold_is_held(r->args[0], NULL)) {
		ui_respond_error(c, 409, "the flow is not held");
		return NULL;
	}
	return r->args[0];
}

static void one(struct ui *ui, struct ui_conn *c, struct ui_req *r, unsigned action)
{
	const char *id = held_arg(c, r);

	if (id)
		answer(c, send_command(ui, action, id, NULL));
}

void ui_api_resume(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	one(ui, c, r, IPC_HOLD_RESUME);
}

void ui_api_kill(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	one(ui, c, r, IPC_HOLD_KILL);
}

void ui_api_resume_all(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	answer(c, send_command(ui, IPC_HOLD_RESUME, NULL, NULL));
}

void ui_api_kill_all(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	answer(c, send_command(ui, IPC_HOLD_KILL, NULL, NULL));
}

/* ---- edits ---- */

static bool bytes_clean(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			return false;
	return true;
}

static bool token_ok(const char *p, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || strchr(extra, p[i])))
			return false;
	return true;
}

static ProtobufCBinaryData bytes_dup(const char *p, size_t n)
{
	ProtobufCBinaryData b = {n, xmalloc(n ? n : 1)};

	memcpy(b.data, p, n);
	return b;
}

/* [[name, value], ...] into a new header array (the old one freed). */
static int headers_set(json_t *j, Snare__Header ***hv, size_t *n, const char **why)
{
	size_t i, k;
	json_t *pair;
	Snare__Header **nv;

	if (!json_is_array(j) || json_array_size(j) > 1000) {
		*why = "headers must be an array of [name, value]";
		return -EINVAL;
	}
	json_array_foreach(j, i, pair)
	{
		json_t *nm = json_array_get(pair, 0), *v = json_array_get(pair, 1);

		if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_string(nm) ||
		    !json_is_string(v) ||
		    !token_ok(json_string_value(nm), json_string_length(nm)) ||
		    !bytes_clean(json_string_value(v), json_string_length(v))) {
			*why = "a header name must be a token and no value may hold CR, LF or NUL";
			return -EINVAL;
		}
	}
	nv = xcalloc(json_array_size(j) + 1, sizeof(*nv));
	json_array_foreach(j, i, pair)
	{
		json_t *nm = json_array_get(pair, 0), *v = json_array_get(pair, 1);

		nv[i] = xmalloc(sizeof(**nv));
		snare__header__init(nv[i]);
		nv[i]->has_name = nv[i]->has_value = 1;
		nv[i]->name = bytes_dup(json_string_value(nm), json_string_length(nm));
		nv[i]->value = bytes_dup(json_string_value(v), json_string_length(v));
	}
	for (k = 0; k < *n; k++)
		snare__header__free_unpacked((*hv)[k], NULL);
	free(*hv);
	*hv = nv;
	*n = json_array_size(j);
	return 0;
}

/* The "headers" and "content" of a request or response edit. */
static int message_set(json_t *j, Snare__Header ***hv, size_t *n, ProtobufCBinaryData *content,
		       protobuf_c_boolean *has, const char **why)
{
	json_t *v;

	if ((v = json_object_get(j, "headers")) != NULL && headers_set(v, hv, n, why) < 0)
		return -EINVAL;
	if ((v = json_object_get(j, "content")) == NULL)
		return 0;
	if (!json_is_string(v)) {
		*why = "content must be a string";
		return -EINVAL;
	}
	free(content->data);
	*content = bytes_dup(json_string_value(v), json_string_length(v));
	*has = 1;
	return 0;
}

/* A string field: a clean string that `ok` accepts (NULL: any clean one). */
static int str_set(json_t *j, char **field, bool (*ok)(const char *p, size_t n), const char **why,
		   const char *what)
{
	if (j == NULL)
		return 0;
	if (!json_is_string(j) || !bytes_clean(json_string_value(j), json_string_length(j)) ||
	    (ok && !ok(json_string_value(j), json_string_length(j)))) {
		*why = what;
		return -EINVAL;
	}
	free(*field);
	*field = xstrdup(json_string_value(j));
	return 0;
}

static bool path_ok(const char *p, size_t n)
{
	return n > 0 && !memchr(p, ' ', n);
}

static int edit_request(json_t *j, Snare__HttpRequest *rq, const char **why)
{
	json_t *v;
	int rc = 0;

	if (rq == NULL) {
		*why = "the flow has no request";
		return -EINVAL;
	}
	rc |= str_set(json_object_get(j, "method"), &rq->method, token_ok, why, "invalid method");
	rc |= str_set(json_object_get(j, "path"), &rq->path, path_ok, why, "invalid path");
	rc |= str_set(json_object_get(j, "host"), &rq->host, path_ok, why, "invalid host");
	if ((v = json_object_get(j, "port")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535) {
			*why = "invalid port";
			return -EINVAL;
		}
		rq->has_port = 1;
		rq->port = (uint32_t)json_integer_value(v);
	}
	if (rc)
		return -EINVAL;
	return message_set(j, &rq->headers, &rq->n_headers, &rq->content, &rq->has_content, why);
}

static int edit_response(json_t *j, Snare__HttpResponse *rs, const char **why)
{
	json_t *v = json_object_get(j, "status_code");
	int rc = 0;

	if (rs == NULL) {
		*why = "the flow has no response yet";
		return -EINVAL;
	}
	if (v == NULL)
		v = json_object_get(j, "code"); /* mitmweb's name */
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 200 ||
		    json_integer_value(v) > 999) {
			*why = "status_code must be 200..999";
			return -EINVAL;
		}
		rs->has_status_code = 1;
		rs->status_code = (uint32_t)json_integer_value(v);
	}
	if ((v = json_object_get(j, "reason")) == NULL)
		v = json_object_get(j, "msg");
	if ((rc = str_set(v, &rs->reason, NULL, why, "invalid reason")) < 0)
		return rc;
	return message_set(j, &rs->headers, &rs->n_headers, &rs->content, &rs->has_content, why);
}

/* PUT /api/flows/ID: {"request": {...}, "response": {...}} changes the held
 * flow; the change is sent to its worker and shown at once. */
void ui_api_edit(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	const char *id = held_arg(c, r),
		   *why = "expected {\"request\": {...}, \"response\": {...}}";
	json_t *j, *rq, *rs;
	Snare__Flow *f;
	ssize_t k;
	size_t i;
	int rc = 0;

	if (id == NULL)
		return;
	if ((k = ui_store_find(ui->store, id)) < 0 || (f = ui_store_load(ui->store, k)) == NULL) {
		ui_respond_error(c, 404, "no such flow");
		return;
	}
	j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
	rq = j ? json_object_get(j, "request") : NULL;
	rs = j ? json_object_get(j, "response") : NULL;
	if (!json_is_object(j) || (rq && !json_is_object(rq)) || (rs && !json_is_object(rs)))
		rc = -EINVAL;
	if (rc == 0 && rq)
		rc = edit_request(rq, f->request, &why);
	if (rc == 0 && rs)
		rc = edit_response(rs, f->response, &why);
	json_decref(j);
	if (rc == 0 && snare__flow__get_packed_size(f) > UI_EDIT_MAX)
		rc = -E2BIG, why = "the edited flow is too large";
	if (rc < 0) {
		ui_respond_error(c, rc == -E2BIG ? 413 : 400, why);
	} else if (send_command(ui, IPC_HOLD_EDIT, id, f) < 0) {
		ui_respond_error(c, 503, "cannot reach the proxy");
	} else if (ui_store_add(ui->store, f, &i) == 0) {
		broadcast(ui, id);
		ui_respond_json(c, 200, ui_json_summary(ui->store, i));
	} else {
		ui_respond_json(c, 200, json_object());
	}
	snare__flow__free_unpacked(f, NULL);
}

/* PUT /api/options {"intercept": "FILTER"}: the filter is checked here and
 * by the coordinator, which passes it to every worker. */
void ui_api_options(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__InterceptSet m = SNARE__INTERCEPT_SET__INIT;
	json_t *j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
	json_t *v = j ? json_object_get(j, "intercept") : NULL;
	struct filter *flt = NULL;
	char err[300];

	if (!json_is_string(v) || json_string_length(v) > IPC_MAX_FILTER ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		json_decref(j);
		ui_respond_error(c, 400, "expected {\"intercept\": \"FILTER\"}");
		return;
	}
	if (json_string_length(v) &&
	    filter_compile(json_string_value(v), &flt, err, sizeof(err)) < 0) {
		json_decref(j);
		ui_respond_error(c, 400, err);
		return;
	}
	filter_free(flt);
	m.filter = unconst(json_string_value(v));
	env.body_case = SNARE__UI_TO_COORD__BODY_INTERCEPT;
	env.intercept = &m;
	if (!ui->chan_open || ipc_chan_send(&ui->chan, &env.base, NULL, 0) < 0) {
		json_decref(j);
		ui_respond_error(c, 503, "cannot reach the proxy");
		return;
	}
	ui_hold_configure(json_string_value(v));
	json_decref(j);
	ui_respond_json(c, 200, json_pack("{s:s}", "intercept", ui_hold_filter()));
}
