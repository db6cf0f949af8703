/* Runs in the ui: intercept (ui_intercept.h).  Keeps the ids of the held
 * flows (a small list: workers hold at most a few dozen each), stores each
 * held flow like any other so the page lists and shows it, and answers the
 * intercept API by sending HoldCommand and InterceptSet to the coordinator.
 * An edit is answered once the worker holding the flow saved or refused
 * it (HoldEditResult, matched by the edit id given here): until then the
 * page's connection waits (UI_EDIT_WAIT_MS at most: then it is told 504,
 * the outcome is not known yet), and only a saved edit changes the stored
 * flow.  The edit itself waits for its answer however late (the
 * coordinator answers every edit it forwards, itself when the worker
 * ends), so a late "saved" still becomes the stored flow and reaches the
 * pages; UI_EDITS_KEEP bounds the edits kept, the oldest one nobody waits
 * for is dropped first.  The browser is untrusted: edits are checked
 * here (header names are tokens, no CR, LF or NUL anywhere, a status of
 * 200..999) before they are sent, and the worker checks them again
 * against the held exchange (the new head must parse). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/unconst.h"
#include "core/util.h"
#include "filter/filter.h"
#include "http1/http1.h"
#include "ipc/ipc_hold.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"

#define UI_EDIT_MAX (IPC_MAX_FRAME - 8192) /* an edited flow, packed */
#define UI_EDITS_MAX 32			   /* pages waiting for the proxy's answer */
#define UI_EDIT_WAIT_MS 10000		   /* ... for at most this long */
#define UI_EDITS_KEEP 64 /* edits kept for their answer (with or without a page) */

struct held_id {
	char id[65];
	unsigned phase;
};

static struct {
	struct held_id v[UI_HELD_MAX];
	size_t n;
	char *filter;
} uh;

/* An edit sent to the proxy: the page's connection (NULL once it closed
 * or was told 504) waits for the answer until due_ms (UINT64_MAX once
 * nobody waits); the edited flow is stored when it is saved. */
struct edit_wait {
	uint64_t id;
	struct ui_conn *c;
	Snare__Flow *f; /* owned */
	uint64_t due_ms;
};

static struct {
	struct edit_wait v[UI_EDITS_KEEP];
	size_t n;
	uint64_t next_id;
	uint64_t wait_ms; /* UI_EDIT_WAIT_MS, or a test's (ui_hold_test_edit_wait) */
	struct loop_timer timer;
	bool timer_ready;
} ue = {.wait_ms = UI_EDIT_WAIT_MS};

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

/* edit_id: an edit's number, for its answer (0: none wanted). */
static int send_command(struct ui *ui, unsigned action, const char *id, Snare__Flow *flow,
			uint64_t edit_id)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;

	m.has_action = 1;
	m.action = action;
	m.flow_id = unconst(id);
	m.flow = flow;
	m.has_edit_id = edit_id != 0;
	m.edit_id = edit_id;
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
		answer(c, send_command(ui, action, id, NULL, 0));
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
	answer(c, send_command(ui, IPC_HOLD_RESUME, NULL, NULL, 0));
}

void ui_api_kill_all(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	answer(c, send_command(ui, IPC_HOLD_KILL, NULL, NULL, 0));
}

/* ---- edits ---- */

static bool bytes_clean(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
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
		    !http1_token_ok(json_string_value(nm), json_string_length(nm)) ||
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
	rc |= str_set(json_object_get(j, "method"), &rq->method, http1_token_ok, why,
		      "invalid method");
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

/* ---- edits waiting for the proxy's answer ---- */

static void edit_timer(struct loop_timer *t);

static struct edit_wait *edit_find(uint64_t id)
{
	for (size_t i = 0; i < ue.n; i++)
		if (ue.v[i].id == id)
			return &ue.v[i];
	return NULL;
}

/* The status and text the page gets for a result that is not "saved". */
static int edit_status(unsigned result)
{
	static const int status[] = {
	    [IPC_EDIT_REFUSED] = 422,
	    [IPC_EDIT_NOT_HELD] = 409,
	    [IPC_EDIT_TOO_LARGE] = 413,
	    [IPC_EDIT_UNREACHABLE] = 503,
	};

	return result < ARRAY_SIZE(status) && status[result] ? status[result] : 500;
}

/* The page waiting for w, if any, gets summary (a saved edit) or status
 * and msg; nobody waits for w from then on. */
static void edit_reply(struct edit_wait *w, json_t *summary, int status, const char *msg)
{
	struct ui_conn *c = w->c;

	w->c = NULL;
	w->due_ms = UINT64_MAX;
	if (c == NULL) {
		json_decref(summary);
		return;
	}
	c->waiting = false;
	if (status == 200)
		ui_respond_json(c, 200, summary ? summary : json_object());
	else
		ui_respond_error(c, status, msg);
	ui_out_kick(c);
}

/* The proxy's answer: a saved edit becomes the stored flow and goes to the
 * pages (also when its page was told 504 or left), a refused one changes
 * nothing; the page still waiting gets the answer. */
static void edit_finish(struct ui *ui, struct edit_wait *w, unsigned result, const char *why)
{
	struct edit_wait e = *w;
	json_t *summary = NULL;
	char msg[IPC_MAX_EDIT_REASON + 64];
	size_t i;

	*w = ue.v[--ue.n];
	if (result == IPC_EDIT_SAVED && ui_store_add(ui->store, e.f, &i) == 0) {
		broadcast(ui, e.f->id);
		summary = e.c ? ui_json_summary(ui->store, i) : NULL;
	}
	snprintf(msg, sizeof(msg), "%s%s", result == IPC_EDIT_REFUSED ? "edit refused: " : "",
		 why && why[0] ? why : "edit refused");
	edit_reply(&e, summary, result == IPC_EDIT_SAVED ? 200 : edit_status(result), msg);
	snare__flow__free_unpacked(e.f, NULL);
}

void ui_on_edit_result(struct ipc_chan *ch, struct ipc_frame *f)
{
	const Snare__HoldEditResult *m = ((Snare__CoordToUi *)f->msg)->edit_result;
	struct edit_wait *w = edit_find(m->edit_id);

	if (w) /* else: dropped for a newer edit (UI_EDITS_KEEP) */
		edit_finish(ch->arg, w, m->result, m->reason);
}

static void edit_timer_arm(struct ui *ui)
{
	uint64_t now = clock_ms(), due = UINT64_MAX;

	for (size_t i = 0; i < ue.n; i++)
		if (ue.v[i].due_ms < due)
			due = ue.v[i].due_ms;
	if (due == UINT64_MAX)
		loop_timer_cancel(ui->loop, &ue.timer);
	else
		loop_timer_arm(ui->loop, &ue.timer, due > now ? due - now : 0);
}

static void edit_timer(struct loop_timer *t)
{
	struct ui *ui = t->arg;
	uint64_t now = clock_ms();

	/* The page learns the outcome is not known yet; the edit stays for
	 * the answer, which still stores a saved edit (edit_finish). */
	for (size_t i = 0; i < ue.n; i++)
		if (ue.v[i].due_ms <= now)
			edit_reply(&ue.v[i], NULL, 504,
				   "the proxy did not answer the edit yet; the flow list "
				   "shows it if it is saved");
	edit_timer_arm(ui);
}

/* Room for one more edit: -EBUSY when UI_EDITS_MAX pages wait already,
 * else 0, having dropped the oldest edit nobody waits for if the table
 * is full (its late answer is then ignored). */
static int edit_room(void)
{
	size_t waiting = 0, oldest = SIZE_MAX;

	for (size_t i = 0; i < ue.n; i++) {
		if (ue.v[i].c)
			waiting++;
		else if (oldest == SIZE_MAX || ue.v[i].id < ue.v[oldest].id)
			oldest = i;
	}
	if (waiting >= UI_EDITS_MAX)
		return -EBUSY;
	if (ue.n < UI_EDITS_KEEP)
		return 0;
	log_warn("web interface: too many edits without an answer; if edit %llu of flow %s is "
		 "saved, the flow list will not show it until the flow changes again",
		 (unsigned long long)ue.v[oldest].id, ue.v[oldest].f->id);
	snare__flow__free_unpacked(ue.v[oldest].f, NULL);
	ue.v[oldest] = ue.v[--ue.n];
	return 0;
}

/* Sends the edit numbered for its answer; the connection waits for it and
 * the wait owns f.  0, or -EBUSY / the send's error (f stays the caller's). */
static int edit_send(struct ui *ui, struct ui_conn *c, const char *id, Snare__Flow *f)
{
	struct edit_wait *w;
	int rc;

	if ((rc = edit_room()) < 0)
		return rc;
	if (!ue.timer_ready) {
		loop_timer_init(&ue.timer, edit_timer, ui);
		ue.timer_ready = true;
		/* above any id a ui started before this one used: an answer
		 * still on its way to it cannot be taken for one of ours */
		ue.next_id = clock_ms() << 20;
	}
	if ((rc = send_command(ui, IPC_HOLD_EDIT, id, f, ++ue.next_id)) < 0)
		return rc;
	w = &ue.v[ue.n++];
	*w =
	    (struct edit_wait){.id = ue.next_id, .c = c, .f = f, .due_ms = clock_ms() + ue.wait_ms};
	c->waiting = true;
	edit_timer_arm(ui);
	return 0;
}

void ui_hold_conn_closed(struct ui_conn *c)
{
	for (size_t i = 0; i < ue.n; i++)
		if (ue.v[i].c == c) { /* the edit is still stored if saved */
			ue.v[i].c = NULL;
			ue.v[i].due_ms = UINT64_MAX;
		}
}

#ifdef SNARE_TEST_HOOKS
void ui_hold_test_edit_wait(uint64_t ms)
{
	ue.wait_ms = ms;
}
#endif

/* The edit as JSON applied to the held flow f: 0, or -EINVAL / -E2BIG
 * with one line in *why. */
static int edit_apply(struct ui_req *r, Snare__Flow *f, const char **why)
{
	json_t *j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
	json_t *rq = j ? json_object_get(j, "request") : NULL;
	json_t *rs = j ? json_object_get(j, "response") : NULL;
	int rc = 0;

	if (!json_is_object(j) || (rq && !json_is_object(rq)) || (rs && !json_is_object(rs)))
		rc = -EINVAL;
	if (rc == 0 && rq)
		rc = edit_request(rq, f->request, why);
	if (rc == 0 && rs)
		rc = edit_response(rs, f->response, why);
	json_decref(j);
	if (rc == 0 && snare__flow__get_packed_size(f) > UI_EDIT_MAX)
		rc = -E2BIG, *why = "the edited flow is too large";
	return rc;
}

/* PUT /api/flows/ID: {"request": {...}, "response": {...}} changes the held
 * flow; the change goes to its worker, and the answer waits for the
 * worker's: the new summary once it saved the edit, an error with its
 * reason when it refused it (the flow stays held as it was). */
void ui_api_edit(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	const char *id = held_arg(c, r),
		   *why = "expected {\"request\": {...}, \"response\": {...}}";
	Snare__Flow *f;
	ssize_t k;
	int rc;

	if (id == NULL)
		return;
	if ((k = ui_store_find(ui->store, id)) < 0 || (f = ui_store_load(ui->store, k)) == NULL) {
		ui_respond_error(c, 404, "no such flow");
		return;
	}
	if ((rc = edit_apply(r, f, &why)) < 0)
		ui_respond_error(c, rc == -E2BIG ? 413 : 400, why);
	else if ((rc = edit_send(ui, c, id, f)) == -EBUSY)
		ui_respond_error(c, 503, "too many edits waiting for the proxy");
	else if (rc < 0)
		ui_respond_error(c, 503, "cannot reach the proxy");
	if (rc < 0)
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
