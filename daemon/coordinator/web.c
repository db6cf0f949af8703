/* Runs in the coordinator: the web interface's side of snare (web=true,
 * snare-web).  Before the sandbox it opens what the ui role needs (the
 * listening socket, a private unlinked spill file, the -r file) and picks
 * the token; after it, it has the spawner start the ui and hands it every
 * flow and log line.  The proxy never waits on the ui: when its channel is
 * congested, views are dropped and counted (UiDropped), never traffic.
 * Trusts nothing the ui sends beyond ipc/'s validation (Hello, log lines, and
 * intercept commands, routed by intercept_route.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "coordinator/intercept_route.h"
#include "core/log.h"
#include "core/unconst.h"

#define WEB_PIECE (128u * 1024)		      /* one FlowBody piece */
#define WEB_FRAME_ROOM (IPC_MAX_FRAME - 4096) /* a flow frame, envelope included */

#ifndef SNARE_WEBDIR
#define SNARE_WEBDIR "/usr/local/share/snare/web"
#endif

static struct coord *web_co; /* for the log sink */

static bool web_dir_ok(const char *dir)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/index.html", dir) >= (int)sizeof(p))
		return false;
	return access(p, R_OK) == 0;
}

/* web_static, else next to the binary (installed: ../share/snare/web;
 * build tree: ../web or ../../web), else the compiled-in folder. */
static char *web_find_static(const struct coord *co)
{
	static const char *const rel[] = {"/../share/snare/web", "/../web", "/../../web"};
	char dir[PATH_MAX], p[PATH_MAX], *slash, *real;
	size_t i;

	if (co->cli->opts.web_static)
		return realpath(co->cli->opts.web_static, NULL);
	snprintf(dir, sizeof(dir), "%s", co->self_exe);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; i < ARRAY_SIZE(rel); i++) {
		if (snprintf(p, sizeof(p), "%s%s", dir, rel[i]) >= (int)sizeof(p))
			continue;
		if (web_dir_ok(p) && (real = realpath(p, NULL)) != NULL)
			return real;
	}
	return web_dir_ok(SNARE_WEBDIR) ? xstrdup(SNARE_WEBDIR) : NULL;
}

/* O_TMPFILE where the kernel has it, else a file unlinked at once; 0600. */
static int web_spill_open(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (snprintf(path, sizeof(path), "%s/snare-web.XXXXXX", tmp) >= (int)sizeof(path))
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static void web_token(char out[65])
{
	uint8_t r[32];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatal("getrandom failed");
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* Only in a desktop session, never as root, and with a program to do it. */
static void web_open_browser(struct coord *co)
{
	static const char xdg[] = "/usr/bin/xdg-open";
	char url[512], *argv[] = {(char *)"xdg-open", url, NULL};

	const char *x11 = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");

	if (!co->cli->opts.web_open_browser ||
	    ((x11 == NULL || *x11 == '\0') && (wl == NULL || *wl == '\0')))
		return;
	if (geteuid() == 0 || access(xdg, X_OK) != 0) {
		log_info("web interface: not opening a browser (%s)",
			 geteuid() == 0 ? "running as root" : "no xdg-open");
		return;
	}
	snprintf(url, sizeof(url), "http://%s:%u/?token=%s", co->cli->opts.web_host, co->web.port,
		 co->web.token);
	if (coord_exec_child(xdg, argv, NULL, 0) < 0)
		log_warn("web interface: cannot start %s", xdg);
}

int coord_web_open(struct coord *co)
{
	struct coord_web *w = &co->web;
	union sockaddr_any a;
	int err;

	w->listen_fd = w->spill_fd = w->rfile_fd = -1;
	if (!co->cli->opts.web)
		return 0;
	if ((err = coord_listen_resolve(co->cli->opts.web_host, co->cli->opts.web_port, &a)) < 0 ||
	    (err = coord_listen_socket(&a, false, &w->listen_fd)) < 0) {
		log_error("web interface: cannot listen on %s:%d: %s", co->cli->opts.web_host,
			  co->cli->opts.web_port, strerror(-err));
		return err;
	}
	w->loopback = addr_is_loopback(&a.sa);
	{
		union sockaddr_any b;
		socklen_t len = sizeof(b);

		w->port = getsockname(w->listen_fd, &b.sa, &len) == 0
			      ? addr_port(&b.sa)
			      : (unsigned)co->cli->opts.web_port;
	}
	if ((w->spill_fd = web_spill_open()) < 0) {
		log_error("web interface: cannot create its spill file: %s", strerror(errno));
		return -errno;
	}
	if (co->cli->rfile && (w->rfile_fd = open(co->cli->rfile, O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("%s: %s", co->cli->rfile, strerror(errno));
		return -errno;
	}
	w->rfile = w->rfile_fd >= 0;
	w->static_dir = web_find_static(co);
	if (w->static_dir == NULL)
		log_warn("web interface: the page's files were not found (set web_static); serving "
			 "the API only");
	web_token(w->token);
	web_open_browser(co);
	return 0;
}

static void web_send_config(struct coord *co)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__UiConfig cfg = SNARE__UI_CONFIG__INIT;
	Snare__KeyValue *kv = xcalloc(co->nwg + 1, sizeof(*kv)), **kp;
	char **modes = xcalloc(co->cli->nmodes + 1, sizeof(*modes));
	size_t i;

	kp = xcalloc(co->nwg + 1, sizeof(*kp));
	for (i = 0; i < co->cli->nmodes; i++)
		modes[i] = co->cli->modes[i].full;
	for (i = 0; i < co->nwg; i++) {
		snare__key_value__init(&kv[i]);
		kv[i].key = co->cli->modes[co->wg[i].mode_index].full;
		kv[i].value = coord_wireguard_text(co, i);
		kp[cfg.n_wireguard++] = &kv[i];
	}
	cfg.token = co->web.token;
	cfg.host = co->cli->opts.web_host;
	cfg.has_port = cfg.has_rfile = 1;
	cfg.port = co->web.port;
	cfg.n_modes = co->cli->opts.server ? co->cli->nmodes : 0;
	cfg.modes = modes;
	cfg.static_dir = co->web.static_dir;
	cfg.wireguard = kp;
	cfg.rfile = co->web.rfile;
	cfg.view_filter = co->cli->opts.view_filter;
	cfg.intercept = co->cli->opts.intercept;
	env.body_case = SNARE__COORD_TO_UI__BODY_CONFIG;
	env.config = &cfg;
	if (ipc_chan_send(&co->ui.chan, &env.base, NULL, 0) < 0)
		log_warn("web interface: cannot send its configuration");
	for (i = 0; i < co->nwg; i++)
		coord_wireguard_text_free(kv[i].value);
	free(kv);
	free(kp);
	free(modes);
}

static void early_free(struct coord_web *w)
{
	size_t i;

	for (i = 0; i < w->nearly; i++) {
		free(w->early[i].client);
		free(w->early[i].text);
	}
	w->nearly = 0;
}

static void ui_on_hello(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *c = ch->arg;
	struct coord_web *w = &c->co->web;
	size_t i;

	c->chan.state = IPC_ST_RUNNING;
	web_send_config(c->co);
	for (i = 0; i < w->nearly; i++)
		coord_web_log(c->co, w->early[i].level, w->early[i].client, w->early[i].text);
	early_free(w);
}

static void ui_on_log(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct coord_child *c = ch->arg;

	coord_on_log(c->co, ((Snare__UiToCoord *)f->msg)->log);
}

/* What the coordinator does with each message the ui may send (the
 * UI_TO_COORD rows of ipc_validate.c say in which states). */
static const struct ipc_handler ui_handlers[] = {
    {SNARE__UI_TO_COORD__BODY_HELLO, ui_on_hello},
    {SNARE__UI_TO_COORD__BODY_LOG, ui_on_log},
    {SNARE__UI_TO_COORD__BODY_HOLD, coord_hold_on_ui_command},
    {SNARE__UI_TO_COORD__BODY_INTERCEPT, coord_hold_on_ui_intercept},
    {SNARE__UI_TO_COORD__BODY_REPLAY, coord_replay_on_ui},
};

static int web_send(struct coord *co, Snare__CoordToUi *env)
{
	return ipc_chan_send(&co->ui.chan, &env->base, NULL, 0);
}

static void web_send_dropped(struct coord *co)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__UiDropped d = SNARE__UI_DROPPED__INIT;

	d.has_count = 1;
	d.count = co->web.dropped;
	env.body_case = SNARE__COORD_TO_UI__BODY_DROPPED;
	env.dropped = &d;
	if (web_send(co, &env) == 0)
		co->web.reported = co->web.dropped;
}

static void ui_on_drain(struct ipc_chan *ch)
{
	struct coord_child *c = ch->arg;

	if (c->co->web.dropped != c->co->web.reported)
		web_send_dropped(c->co);
}

/* Whether the ui takes a view now (web is on and the ui configured); counts
 * it as dropped when the ui reads too slowly. */
static bool web_ready(struct coord *co)
{
	if (co->cli == NULL || !co->cli->opts.web)
		return false;
	if (!co->ui.chan_open || co->ui.chan.state != IPC_ST_RUNNING) {
		co->web.dropped += !co->stopping; /* not started yet, or gone */
		return false;
	}
	if (co->ui.chan.congested) {
		co->web.dropped++;
		return false;
	}
	return true;
}

int coord_web_start(struct coord *co)
{
	int fds[4], theirs, err;

	if (!co->cli->opts.web)
		return 0;
	co->ui.co = co;
	co->ui.kind = CHILD_UI;
	co->ui.ca_peer_fd = -1;
	if ((err = coord_child_channel(co, &co->ui, &theirs)) < 0)
		return err;
	ipc_chan_handlers(&co->ui.chan, ui_handlers, ARRAY_SIZE(ui_handlers));
	co->ui.chan.on_drain = ui_on_drain;
	fds[0] = theirs;
	fds[1] = co->web.listen_fd;
	fds[2] = co->web.spill_fd;
	fds[3] = co->web.rfile_fd;
	err = coord_spawner_request(co, IPC_SPAWN_UI, 0, fds, 4);
	close(theirs);
	co->ui.spawning = err == 0;
	/* The ui has its own copies now. */
	close(co->web.spill_fd);
	co->web.spill_fd = -1;
	if (co->web.rfile_fd >= 0)
		close(co->web.rfile_fd);
	co->web.rfile_fd = -1;
	web_co = co;
	return err;
}

void coord_web_print(struct coord *co)
{
	const char *h = co->cli->opts.web_host;
	bool v6 = strchr(h, ':') != NULL;

	if (!co->cli->opts.web)
		return;
	/* The address is the way in: printed even under -q. */
	if (log_get_level() >= LOG_LVL_INFO)
		log_info("Web server listening at http://%s%s%s:%u/?token=%s", v6 ? "[" : "", h,
			 v6 ? "]" : "", co->web.port, co->web.token);
	else
		printf("Web server listening at http://%s%s%s:%u/?token=%s\n", v6 ? "[" : "", h,
		       v6 ? "]" : "", co->web.port, co->web.token);
	fflush(stdout);
	if (!co->web.loopback)
		log_warn("The web interface listens on %s, which is not a loopback address: anyone "
			 "who can reach it and learns the token sees every flow",
			 h);
}

/* Bodies too large for one frame travel first, in pieces (as from a
 * worker); the flow follows without them. */
static int web_send_pieces(struct coord *co, const char *id, unsigned part, ProtobufCBinaryData b)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__FlowBody fb = SNARE__FLOW_BODY__INIT;
	size_t off;
	int err = 0;

	fb.flow_id = unconst(id);
	fb.has_part = fb.has_data = 1;
	fb.part = part;
	env.body_case = SNARE__COORD_TO_UI__BODY_FLOW_BODY;
	env.flow_body = &fb;
	for (off = 0; off < b.len && err == 0; off += WEB_PIECE) {
		fb.data.data = b.data + off;
		fb.data.len = b.len - off < WEB_PIECE ? b.len - off : WEB_PIECE;
		err = web_send(co, &env);
	}
	return err;
}

static int web_send_flow(struct coord *co, Snare__Flow *f)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__FlowEvent fe = SNARE__FLOW_EVENT__INIT;
	ProtobufCBinaryData rq = {0}, rs = {0};
	protobuf_c_boolean hq = 0, hs = 0;
	int err = 0;

	fe.flow = f;
	env.body_case = SNARE__COORD_TO_UI__BODY_FLOW;
	env.flow = &fe;
	if (snare__coord_to_ui__get_packed_size(&env) > WEB_FRAME_ROOM) {
		if (f->request && (hq = f->request->has_content)) {
			rq = f->request->content;
			f->request->has_content = 0;
			err = web_send_pieces(co, f->id, 0, rq);
		}
		if (err == 0 && f->response && (hs = f->response->has_content)) {
			rs = f->response->content;
			f->response->has_content = 0;
			err = web_send_pieces(co, f->id, 1, rs);
		}
	}
	if (err == 0 && snare__coord_to_ui__get_packed_size(&env) > WEB_FRAME_ROOM)
		err = -EMSGSIZE;
	if (err == 0)
		err = web_send(co, &env);
	if (f->request)
		f->request->has_content = hq || f->request->has_content;
	if (hq)
		f->request->content = rq;
	if (f->response)
		f->response->has_content = hs || f->response->has_content;
	if (hs)
		f->response->content = rs;
	return err;
}

void coord_web_flow(struct coord *co, Snare__Flow *f)
{
	if (!web_ready(co))
		return;
	if (web_send_flow(co, f) < 0)
		co->web.dropped++;
}

void coord_web_log(struct coord *co, unsigned level, const char *client, const char *text)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__LogEvent ev = SNARE__LOG_EVENT__INIT;
	struct ipc_log_buf b;

	if (co == NULL || co->cli == NULL || !co->cli->opts.web)
		return;
	if (!co->ui.chan_open || co->ui.chan.state != IPC_ST_RUNNING) {
		struct coord_web *w = &co->web;

		if (w->nearly < ARRAY_SIZE(w->early) && !co->stopping) {
			w->early[w->nearly].level = level;
			w->early[w->nearly].client = client ? xstrdup(client) : NULL;
			w->early[w->nearly++].text = xstrdup(text);
		}
		return;
	}
	if (!web_ready(co))
		return;
	ipc_log_event(&ev, &b, (int)level, client, text);
	env.body_case = SNARE__COORD_TO_UI__BODY_LOG;
	env.log = &ev;
	if (web_send(co, &env) < 0)
		co->web.dropped++;
}

/* The coordinator's own lines go to the terminal and to the ui's event log. */
static void web_log_sink(enum log_level lvl, const char *client, const char *msg)
{
	static bool inside;

	log_print(lvl, client, msg);
	if (inside)
		return;
	inside = true;
	coord_web_log(web_co, lvl, client, msg);
	inside = false;
}

void coord_web_install_log(struct coord *co)
{
	if (co->cli->opts.web)
		log_set_sink(web_log_sink);
}

void coord_web_close(struct coord *co)
{
	struct coord_web *w = &co->web;

	fd_close(&w->listen_fd);
	fd_close(&w->spill_fd);
	fd_close(&w->rfile_fd);
	free(w->static_dir);
	w->static_dir = NULL;
	early_free(w);
	web_co = NULL;
}
