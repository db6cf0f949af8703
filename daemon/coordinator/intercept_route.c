/* Runs in the coordinator: intercept's routing (intercept_route.h).  A
 * table of the held flows, {flow id, worker, hold id}, filled from the
 * workers' FlowHeld and emptied by FlowReleased or a worker's end; the ui's
 * HoldCommand names a flow id, which this table turns into the worker and
 * hold id it sends the command to (an id not in the table is ignored: the
 * flow may have left meanwhile).  Held flows go to the ui only: they are
 * not finished, so neither the terminal nor the flow file sees them.
 * An edit the ui numbered (edit_id) is remembered with the worker it went
 * to until that worker answers (HoldEditResult, passed to the ui); the
 * coordinator answers it itself when no worker holds the flow, the worker
 * cannot be reached or ends first.  Trusts the workers' and the ui's frames as far as ipc/'s
 * validation (ipc_hold.h) goes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intercept_route.h"
#include "core/log.h"
#include "core/unconst.h"
#include "ipc/ipc_hold.h"

#define HOLD_ROUTES_MAX 65536 /* far above workers x their own limit (64) */
#define HOLD_EDITS_MAX 256    /* edits waiting for their worker's answer (the ui waits for 32) */

struct hold_route {
	char flow_id[65];
	unsigned worker;
	uint64_t hold_id;
};

static struct {
	struct hold_route *v;
	size_t n, cap;
} routes;

/* Edits sent to a worker, waiting for its answer. */
static struct {
	struct {
		uint64_t edit_id;
		unsigned worker;
	} v[HOLD_EDITS_MAX];
	size_t n;
} edits;

void coord_hold_check_start(const struct coord *co)
{
	const struct options *o = &co->cli->opts;

	if (o->intercept && o->intercept[0] && !o->web)
		log_warn("intercept is set but the web interface is off: held flows %s",
			 o->intercept_timeout
			     ? "wait for intercept_timeout"
			     : "wait until their client goes away (see snare-web)");
}

size_t coord_hold_count(void)
{
	return routes.n;
}

static struct hold_route *route_find(const char *flow_id)
{
	for (size_t i = 0; i < routes.n; i++)
		if (strcmp(routes.v[i].flow_id, flow_id) == 0)
			return &routes.v[i];
	return NULL;
}

static void route_drop(struct hold_route *r)
{
	*r = routes.v[--routes.n];
}

static bool ui_up(const struct coord *co)
{
	return co->cli && co->cli->opts.web && co->ui.chan_open &&
	       co->ui.chan.state == IPC_ST_RUNNING;
}

static void ui_send_released(struct coord *co, const char *flow_id, unsigned how)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__FlowReleased m = SNARE__FLOW_RELEASED__INIT;

	if (!ui_up(co))
		return;
	m.flow_id = unconst(flow_id);
	m.has_how = 1;
	m.how = how;
	env.body_case = SNARE__COORD_TO_UI__BODY_RELEASED;
	env.released = &m;
	if (ipc_chan_send(&co->ui.chan, &env.base, NULL, 0) < 0)
		log_warn("web interface: cannot tell it a held flow was released");
}

void coord_hold_on_held(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;
	Snare__FlowHeld *m = ((Snare__WorkerToCoord *)f->msg)->held;
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	struct hold_route *r = route_find(m->flow->id);

	if (r == NULL && routes.n == HOLD_ROUTES_MAX) {
		log_warn("intercept: too many held flows to route; %s cannot be resumed here",
			 m->flow->id);
		return;
	}
	if (r == NULL) {
		if (routes.n == routes.cap) {
			routes.cap = routes.cap ? routes.cap * 2 : 16;
			routes.v = xrealloc(routes.v, routes.cap * sizeof(*routes.v));
		}
		r = &routes.v[routes.n++];
		snprintf(r->flow_id, sizeof(r->flow_id), "%s", m->flow->id);
	}
	r->worker = w->index;
	r->hold_id = m->hold_id;
	if (!ui_up(w->co))
		return;
	m->has_hold_id = 0; /* the ui names flows by id only */
	m->hold_id = 0;
	env.body_case = SNARE__COORD_TO_UI__BODY_HELD;
	env.held = m;
	if (ipc_chan_send(&w->co->ui.chan, &env.base, NULL, 0) < 0)
		log_warn("web interface: cannot show it a held flow");
}

void coord_hold_on_released(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;
	const Snare__FlowReleased *m = ((Snare__WorkerToCoord *)f->msg)->released;
	struct hold_route *r = route_find(m->flow_id);

	if (r && r->worker == w->index && r->hold_id == m->hold_id)
		route_drop(r);
	ui_send_released(w->co, m->flow_id, m->how);
}

size_t coord_hold_edits_waiting(void)
{
	return edits.n;
}

/* The answer to the ui's edit edit_id (with a hold id: a worker's, which
 * the ui is not told). */
static void ui_send_edit_result(struct coord *co, Snare__HoldEditResult *m)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;

	if (!ui_up(co))
		return;
	m->has_hold_id = 0;
	m->hold_id = 0;
	env.body_case = SNARE__COORD_TO_UI__BODY_EDIT_RESULT;
	env.edit_result = m;
	if (ipc_chan_send(&co->ui.chan, &env.base, NULL, 0) < 0)
		log_warn("web interface: cannot tell it what became of an edit");
}

/* The coordinator's own answer: no worker holds the flow or can be asked. */
static void edit_answer(struct coord *co, uint64_t edit_id, unsigned result, const char *why)
{
	Snare__HoldEditResult m = SNARE__HOLD_EDIT_RESULT__INIT;

	m.has_edit_id = m.has_result = 1;
	m.edit_id = edit_id;
	m.result = result;
	m.reason = unconst(why);
	ui_send_edit_result(co, &m);
}

void coord_hold_on_edit_result(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *w = ch->arg;
	Snare__HoldEditResult *m = ((Snare__WorkerToCoord *)f->msg)->edit_result;

	for (size_t i = 0; i < edits.n; i++) {
		if (edits.v[i].edit_id != m->edit_id || edits.v[i].worker != w->index)
			continue;
		edits.v[i] = edits.v[--edits.n];
		ui_send_edit_result(w->co, m);
		return;
	}
	log_debug("intercept: worker %u answered edit %llu, which it was not sent", w->index,
		  (unsigned long long)m->edit_id);
}

static int worker_send(struct coord_child *w, const Snare__HoldCommand *cmd)
{
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;

	if (!w->chan_open || w->chan.state != IPC_ST_RUNNING)
		return -ENOTCONN;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_HOLD;
	env.hold = unconst(cmd);
	return ipc_chan_send(&w->chan, &env.base, NULL, 0);
}

void coord_hold_on_ui_command(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord *co = ((struct coord_child *)ch->arg)->co;
	const Snare__HoldCommand *m = ((Snare__UiToCoord *)f->msg)->hold;
	Snare__HoldCommand cmd = *m;
	bool want = m->has_edit_id && m->edit_id != 0; /* the ui waits for the answer */
	struct hold_route *r;

	cmd.flow_id = NULL;
	cmd.has_hold_id = 1;
	cmd.hold_id = 0;
	if (m->flow_id == NULL) { /* resume or kill all: every worker */
		for (size_t i = 0; i < co->nworkers; i++)
			(void)worker_send(&co->workers[i], &cmd);
		return;
	}
	if ((r = route_find(m->flow_id)) == NULL || r->worker >= co->nworkers) {
		log_debug("intercept: %s is not held (any more)", m->flow_id);
		if (want)
			edit_answer(co, m->edit_id, IPC_EDIT_NOT_HELD,
				    "the flow is not held any more");
		return;
	}
	cmd.hold_id = r->hold_id;
	if (want && edits.n == HOLD_EDITS_MAX) {
		edit_answer(co, m->edit_id, IPC_EDIT_UNREACHABLE, "too many edits waiting");
		return;
	}
	if (worker_send(&co->workers[r->worker], &cmd) < 0) {
		log_warn("intercept: cannot reach worker %u for %s", r->worker, m->flow_id);
		if (want)
			edit_answer(co, m->edit_id, IPC_EDIT_UNREACHABLE,
				    "the worker holding the flow cannot be reached");
		return;
	}
	if (want) {
		edits.v[edits.n].edit_id = m->edit_id;
		edits.v[edits.n++].worker = r->worker;
	}
}

void coord_hold_on_ui_intercept(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord *co = ((struct coord_child *)ch->arg)->co;
	const Snare__InterceptSet *m = ((Snare__UiToCoord *)f->msg)->intercept;
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	char err[512];

	/* Kept in the options, so that a restarted worker gets it too. */
	if (options_set_kv(&co->cli->opts, "intercept", m->filter, err, sizeof(err)) < 0) {
		log_warn("web interface: %s", err);
		return;
	}
	log_info("intercept: filter %s%s%s", m->filter[0] ? "\"" : "",
		 m->filter[0] ? m->filter : "off", m->filter[0] ? "\"" : "");
	env.body_case = SNARE__COORD_TO_WORKER__BODY_INTERCEPT;
	env.intercept = unconst(m);
	for (size_t i = 0; i < co->nworkers; i++) {
		struct coord_child *w = &co->workers[i];

		if (w->chan_open && w->chan.state == IPC_ST_RUNNING &&
		    ipc_chan_send(&w->chan, &env.base, NULL, 0) < 0)
			log_warn("intercept: cannot reach worker %u", w->index);
	}
}

void coord_hold_worker_gone(struct coord *co, unsigned index)
{
	for (size_t i = 0; i < edits.n;) {
		if (edits.v[i].worker != index) {
			i++;
			continue;
		}
		edit_answer(co, edits.v[i].edit_id, IPC_EDIT_NOT_HELD,
			    "the worker holding the flow ended");
		edits.v[i] = edits.v[--edits.n];
	}
	for (size_t i = 0; i < routes.n;) {
		if (routes.v[i].worker != index) {
			i++;
			continue;
		}
		ui_send_released(co, routes.v[i].flow_id, IPC_HOLD_CLIENT_GONE);
		route_drop(&routes.v[i]);
	}
}

void coord_hold_reloaded(struct coord *co)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__InterceptSet m = SNARE__INTERCEPT_SET__INIT;

	if (!ui_up(co))
		return;
	m.filter = co->cli->opts.intercept ? co->cli->opts.intercept : unconst("");
	env.body_case = SNARE__COORD_TO_UI__BODY_INTERCEPT;
	env.intercept = &m;
	if (ipc_chan_send(&co->ui.chan, &env.base, NULL, 0) < 0)
		log_warn("web interface: cannot tell it the intercept filter");
}
