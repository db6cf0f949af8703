/* The ui role's lifecycle (`snare --role ui`, started by the spawner when
 * web is on): say hello to the coordinator, take the configuration, open
 * what the sandbox will forbid (the page's files, the -r flow file), enter
 * the ui's seccomp list (policy/seccomp_ui.c), then serve browsers and take
 * flows, body pieces and log lines from the coordinator until its channel
 * closes.  Trusts the coordinator as far as ipc/'s validation goes; holds
 * no key and parses no traffic. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/log.h"
#include "filter/filter.h"
#include "sandbox.h"
#include "ui/ui.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"

static struct ui *the_ui; /* for the log sink */

static void ui_log_sink(enum log_level lvl, const char *client, const char *msg)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__LogEvent ev;
	struct ipc_log_buf b;

	if (the_ui == NULL || !the_ui->chan_open || the_ui->chan.closed) {
		log_print(lvl, client, msg);
		return;
	}
	ipc_log_event(&ev, &b, lvl, client, msg);
	env.body_case = SNARE__UI_TO_COORD__BODY_LOG;
	env.log = &ev;
	(void)ipc_chan_send(&the_ui->chan, &env.base, NULL, 0);
}

/* ---- flows from the coordinator ---- */

static void pieces_drop(struct ui *ui)
{
	while (ui->pieces) {
		struct ui_piece *p = ui->pieces;

		ui->pieces = p->next;
		free(p->flow_id);
		free(p->data);
		free(p);
	}
	ui->pieces_bytes = 0;
}

/* Joins f's body pieces into its request or response content. */
static void pieces_attach(struct ui *ui, Snare__Flow *f, uint8_t *bufs[2])
{
	size_t len[2] = {0, 0};
	struct ui_piece *p;
	unsigned k;

	for (p = ui->pieces; p; p = p->next)
		if (strcmp(p->flow_id, f->id) == 0)
			len[p->part] += p->len;
	for (k = 0; k < 2; k++)
		bufs[k] = len[k] ? xmalloc(len[k]) : NULL;
	len[0] = len[1] = 0;
	for (p = ui->pieces; p; p = p->next) {
		if (strcmp(p->flow_id, f->id) != 0)
			continue;
		memcpy(bufs[p->part] + len[p->part], p->data, p->len);
		len[p->part] += p->len;
	}
	if (bufs[0] && f->request) {
		f->request->has_content = 1;
		f->request->content = (ProtobufCBinaryData){len[0], bufs[0]};
	}
	if (bufs[1] && f->response) {
		f->response->has_content = 1;
		f->response->content = (ProtobufCBinaryData){len[1], bufs[1]};
	}
	pieces_drop(ui);
}

int ui_take_flow(struct ui *ui, const Snare__Flow *f)
{
	size_t i, before;
	int rc;

	if (ui->view && !filter_match(ui->view, f, NULL))
		return 0;
	before = ui_store_count(ui->store);
	rc = ui_store_add(ui->store, f, &i);
	if (rc < 0) {
		ui->coord_dropped++;
		return rc;
	}
	ui_ws_push_flow(ui, i, ui_store_count(ui->store) > before);
	return 0;
}

static void ui_on_flow(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;
	Snare__Flow *flow = ((Snare__CoordToUi *)f->msg)->flow->flow;
	uint8_t *bufs[2] = {NULL, NULL};

	if (ui->pieces)
		pieces_attach(ui, flow, bufs);
	(void)ui_take_flow(ui, flow);
	/* The frame's free must not see our buffers. */
	if (bufs[0] && flow->request)
		flow->request->has_content = 0, flow->request->content.data = NULL;
	if (bufs[1] && flow->response)
		flow->response->has_content = 0, flow->response->content.data = NULL;
	free(bufs[0]);
	free(bufs[1]);
}

static void ui_on_flow_body(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;
	const Snare__FlowBody *b = ((Snare__CoordToUi *)f->msg)->flow_body;
	struct ui_piece *p, **tail;

	if (ui->pieces_bytes + b->data.len > UI_PIECES_MAX) {
		pieces_drop(ui); /* a body too large for us: its flow comes without it */
		ui->coord_dropped++;
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->flow_id = xstrdup(b->flow_id);
	p->part = b->part;
	p->data = xmalloc(b->data.len);
	memcpy(p->data, b->data.data, b->data.len);
	p->len = b->data.len;
	for (tail = &ui->pieces; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	ui->pieces_bytes += p->len;
}

static void ui_on_log(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;
	const Snare__LogEvent *ev = ((Snare__CoordToUi *)f->msg)->log;
	const struct ui_event *e =
	    ui_events_add(&ui->events, ev->level, ev->client, ev->text, clock_wall());

	if (ui->conns)
		ui_ws_broadcast(ui,
				json_pack("{s:s,s:o}", "type", "event", "event", ui_json_event(e)));
}

static void ui_on_dropped(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;

	ui->coord_dropped = ((Snare__CoordToUi *)f->msg)->dropped->count;
	if (ui->conns)
		ui_ws_broadcast(ui, json_pack("{s:s,s:I}", "type", "dropped", "count",
					      (json_int_t)ui->coord_dropped));
}

/* ---- start-up ---- */

/* -r: the flow file the coordinator opened, loaded before the sandbox. */
static void load_rfile(struct ui *ui)
{
	char err[512];
	size_t n = 0;

	if (ui_import_fd(ui, UI_RFILE_FD, &n, err, sizeof(err)) < 0)
		log_error("web interface: %s", err);
	malloc_trim(0);
	log_info("web interface: loaded %zu flows", n);
}

static void take_wireguard(struct ui *ui, const Snare__UiConfig *cfg)
{
	size_t i;

	ui->wg = xcalloc(cfg->n_wireguard + 1, sizeof(*ui->wg));
	for (i = 0; i < cfg->n_wireguard; i++) {
		ui->wg[i].name = xstrdup(cfg->wireguard[i]->key);
		ui->wg[i].text = xstrdup(cfg->wireguard[i]->value);
		ui->wg[i].svg = ui_qr_svg(cfg->wireguard[i]->value);
	}
	ui->nwg = cfg->n_wireguard;
}

static bool listen_loopback(void)
{
	union sockaddr_any a;
	socklen_t len = sizeof(a);

	return getsockname(UI_LISTEN_FD, &a.sa, &len) == 0 && addr_is_loopback(&a.sa);
}

static int ui_configure(struct ui *ui, const Snare__UiConfig *cfg)
{
	char err[512], csrf[UI_SECRET_HEX + 1];
	size_t i;

	ui_random_hex(csrf);
	ui_access_init(&ui->access, cfg->host, cfg->port, listen_loopback(), cfg->token, csrf);
	ui->modes = xcalloc(cfg->n_modes + 1, sizeof(*ui->modes));
	for (i = 0; i < cfg->n_modes; i++)
		ui->modes[i] = xstrdup(cfg->modes[i]);
	ui->nmodes = cfg->n_modes;
	take_wireguard(ui, cfg);
	ui_hold_configure(cfg->intercept);
	if (cfg->view_filter && *cfg->view_filter &&
	    filter_compile(cfg->view_filter, &ui->view, err, sizeof(err)) < 0) {
		log_error("web interface: view_filter: %s", err);
		return -EINVAL;
	}
	if ((ui->files = ui_static_load(cfg->static_dir, err, sizeof(err))) == NULL) {
		log_error("web interface: %s", err);
		return -EIO;
	}
	ui->store = ui_store_new(UI_SPILL_FD);
	if (cfg->rfile)
		load_rfile(ui);
	if (sandbox_startup(&(struct sandbox_plan){.role = SANDBOX_UI}, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -EPERM;
	}
	ui->listen_fd = UI_LISTEN_FD;
	if (fd_set_nonblock(ui->listen_fd) < 0)
		return -EIO;
	loop_io_init(&ui->listen_io, ui->listen_fd, ui_conn_accept, ui);
	return loop_io_set(ui->loop, &ui->listen_io, EPOLLIN);
}

static void ui_on_config(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ui *ui = ch->arg;

	ch->state = IPC_ST_RUNNING;
	if (ui_configure(ui, ((Snare__CoordToUi *)f->msg)->config) < 0) {
		ui->exit_code = 1;
		loop_stop(ui->loop);
	}
}

/* What the ui does with each message the coordinator may send (the
 * COORD_TO_UI rows of ipc_validate.c say in which states). */
static const struct ipc_handler ui_handlers[] = {
    {SNARE__COORD_TO_UI__BODY_FLOW, ui_on_flow},
    {SNARE__COORD_TO_UI__BODY_FLOW_BODY, ui_on_flow_body},
    {SNARE__COORD_TO_UI__BODY_LOG, ui_on_log},
    {SNARE__COORD_TO_UI__BODY_DROPPED, ui_on_dropped},
    {SNARE__COORD_TO_UI__BODY_CONFIG, ui_on_config},
    {SNARE__COORD_TO_UI__BODY_HELD, ui_on_held},
    {SNARE__COORD_TO_UI__BODY_RELEASED, ui_on_released},
    {SNARE__COORD_TO_UI__BODY_INTERCEPT, ui_on_intercept},
    {SNARE__COORD_TO_UI__BODY_EDIT_RESULT, ui_on_edit_result},
};

static void ui_on_close(struct ipc_chan *ch, int err)
{
	struct ui *ui = ch->arg;

	ipc_chan_close(&ui->chan);
	ui->chan_open = false;
	if (err < 0 && err != -EPIPE && err != -ECONNRESET)
		ui->exit_code = 1;
	loop_stop(ui->loop);
}

static int ui_hello(struct ui *ui)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__Hello h;

	ipc_hello_fill(&h);
	env.body_case = SNARE__UI_TO_COORD__BODY_HELLO;
	env.hello = &h;
	return ipc_chan_send(&ui->chan, &env.base, NULL, 0);
}

static void ui_free(struct ui *ui)
{
	size_t i;

	while (ui->conns)
		ui_conn_close(ui->conns);
	ui_query_free(ui);
	ui_ws_push_free(ui);
	if (ui->view)
		filter_free(ui->view);
	pieces_drop(ui);
	ui_store_free(ui->store);
	ui_static_free(ui->files);
	ui_events_free(&ui->events);
	for (i = 0; i < ui->nmodes; i++)
		free(ui->modes[i]);
	for (i = 0; i < ui->nwg; i++) {
		free(ui->wg[i].name);
		free(ui->wg[i].text);
		free(ui->wg[i].svg);
	}
	free(ui->modes);
	free(ui->wg);
	if (ui->chan_open)
		ipc_chan_close(&ui->chan);
	loop_free(ui->loop);
}

int ui_main(void)
{
	static struct ui ui;

	snare_progname = "snare-ui";
	signal(SIGPIPE, SIG_IGN);
	the_ui = &ui;
	ui.listen_fd = -1;
	ui.loop = loop_new();
	loop_timer_init(&ui.push_timer, ui_ws_push_timer, &ui);
	if (ui.loop == NULL || ipc_chan_init(&ui.chan, ui.loop, UI_CHAN_FD, IPC_CH_COORD_TO_UI,
					     NULL, ui_on_close, &ui) < 0)
		fatal("cannot set up the ui's channel");
	ui.chan_open = true;
	ipc_chan_handlers(&ui.chan, ui_handlers, ARRAY_SIZE(ui_handlers));
	ui.chan.state = IPC_ST_CONFIG;
	log_set_sink(ui_log_sink);
	if (ui_hello(&ui) < 0)
		return 1;
	loop_run(ui.loop);
	ui_free(&ui);
	return ui.exit_code;
}
