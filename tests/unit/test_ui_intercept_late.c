/* Unit tests for edits answered late (daemon/ui/ui_intercept.c): a page
 * whose PUT /api/flows/ID timed out gets 504, the edit stays waiting, and
 * when the proxy then saves it the stored flow becomes the edited one and
 * is pushed to the pages; a late refusal changes nothing; the edits kept
 * without a page are bounded, the oldest dropped first.  Drives the ui's
 * code with a real loop, a channel whose coordinator end the test reads,
 * and browser connections on socketpairs (the wait shortened through the
 * SNARE_TEST_HOOKS hook).  One rig for all the tests: the module's state
 * (its edit table and timer) is per process, like the ui's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/unconst.h"
#include "ipc/ipc_hold.h"
#include "ui/ui_int.h"
#include "ui/ui_intercept.h"

#define FLOW_ID "late-edit-flow"

struct rig {
	struct ui ui;
	int coord_fd; /* the coordinator's end of the ui's channel */
	struct ui_conn *page, *ws;
	int page_peer, ws_peer; /* the browsers' ends */
	struct loop_timer stop;
};

static struct rig rig;

static void chan_closed(struct ipc_chan *ch, int err)
{
	fail_msg("the ui's channel closed (%d)", err);
}

static void conn_io(struct loop_io *io, uint32_t events)
{
}

static struct ui_conn *conn_new(struct rig *r, bool ws, int *peer)
{
	struct ui_conn *c = calloc(1, sizeof(*c));
	int sv[2];

	assert_non_null(c);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c->ui = &r->ui;
	c->fd = sv[0];
	c->ws = ws;
	*peer = sv[1];
	loop_io_init(&c->io, c->fd, conn_io, c);
	if (ws) { /* pushes go to the connections in ui->conns */
		c->next = r->ui.conns;
		r->ui.conns = c;
		r->ui.nconns++;
	}
	return c;
}

static void conn_free(struct rig *r, struct ui_conn *c)
{
	loop_io_del(r->ui.loop, &c->io);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* What the browser at fd received so far, as a string. */
static char *peer_read(int fd)
{
	static char buf[1 << 18];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

static void stop_loop(struct loop_timer *t)
{
	loop_stop(t->arg);
}

/* Lets the ui's timers run (the edit timer is due at once). */
static void run_loop(struct rig *r)
{
	loop_timer_arm(r->ui.loop, &r->stop, 20);
	assert_int_equal(loop_run(r->ui.loop), 0);
}

static void on_held(struct rig *r, const char *path)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__FlowHeld m = SNARE__FLOW_HELD__INIT;
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;
	struct ipc_frame fr = {.ch = IPC_CH_COORD_TO_UI, .msg = &env.base};

	rq.method = unconst("GET");
	rq.path = unconst(path);
	rq.host = unconst("example.com");
	f.id = unconst(FLOW_ID);
	f.request = &rq;
	m.flow = &f;
	m.has_phase = 1;
	env.body_case = fr.body_case = SNARE__COORD_TO_UI__BODY_HELD;
	env.held = &m;
	ui_on_held(&r->ui.chan, &fr);
}

static void rig_init(struct rig *r)
{
	int sv[2];

	memset(r, 0, sizeof(*r));
	r->ui.loop = loop_new();
	assert_non_null(r->ui.loop);
	r->ui.store = ui_store_new(open("/tmp", O_TMPFILE | O_RDWR, 0600));
	assert_non_null(r->ui.store);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(ipc_chan_init(&r->ui.chan, r->ui.loop, sv[0], IPC_CH_COORD_TO_UI, NULL,
				       chan_closed, &r->ui),
			 0);
	r->ui.chan_open = true;
	r->coord_fd = sv[1];
	loop_timer_init(&r->stop, stop_loop, r->ui.loop);
	loop_timer_init(&r->ui.push_timer, ui_ws_push_timer, &r->ui);
	r->page = conn_new(r, false, &r->page_peer);
	r->ws = conn_new(r, true, &r->ws_peer);
	ws_parser_init(&r->ws->wsp, true, 1 << 16);
}

/* Each test starts with the flow held as it came, nothing received. */
static int held_again(void **state)
{
	on_held(&rig, "/original");
	peer_read(rig.ws_peer);
	peer_read(rig.page_peer);
	return 0;
}

static int setup(void **state)
{
	rig_init(&rig);
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = &rig;

	r->ui.conns = NULL;
	conn_free(r, r->page);
	ws_parser_free(&r->ws->wsp);
	conn_free(r, r->ws);
	close(r->page_peer);
	close(r->ws_peer);
	loop_timer_cancel(r->ui.loop, &r->stop);
	ui_ws_push_free(&r->ui);
	ipc_chan_close(&r->ui.chan);
	close(r->coord_fd);
	ui_store_free(r->ui.store);
	loop_free(r->ui.loop);
	return 0;
}

/* PUT /api/flows/FLOW_ID changing the path; the edit id the coordinator
 * got (0: nothing was sent). */
static uint64_t put_edit(struct rig *r, const char *path)
{
	struct ui_req req;
	char body[256];
	uint8_t buf[IPC_MAX_FRAME];
	int fds[IPC_MAX_FDS];
	size_t nfds = 0;
	struct ipc_frame fr;
	uint64_t id;
	int n;

	memset(&req, 0, sizeof(req));
	snprintf(body, sizeof(body), "{\"request\": {\"path\": \"%s\"}}", path);
	snprintf(req.method, sizeof(req.method), "PUT");
	req.args[0] = unconst(FLOW_ID);
	req.body = (const uint8_t *)body;
	req.body_len = strlen(body);
	ui_api_edit(&r->ui, r->page, &req);
	ui_out_kick(r->page); /* as ui_conn.c does after a route */
	n = ipc_recv_raw(r->coord_fd, buf, sizeof(buf), fds, IPC_MAX_FDS, &nfds);
	if (n == -EAGAIN)
		return 0;
	assert_true(n > 0);
	assert_int_equal(
	    ipc_decode(IPC_CH_UI_TO_COORD, IPC_ST_RUNNING, buf, (size_t)n, fds, nfds, &fr), 0);
	assert_int_equal(fr.body_case, SNARE__UI_TO_COORD__BODY_HOLD);
	{
		const Snare__HoldCommand *m = ((Snare__UiToCoord *)fr.msg)->hold;

		assert_int_equal(m->action, IPC_HOLD_EDIT);
		assert_string_equal(m->flow->request->path, path);
		id = m->edit_id;
	}
	ipc_frame_free(&fr);
	assert_true(id != 0);
	return id;
}

static void edit_result(struct rig *r, uint64_t id, unsigned result)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__HoldEditResult m = SNARE__HOLD_EDIT_RESULT__INIT;
	struct ipc_frame fr = {.ch = IPC_CH_COORD_TO_UI, .msg = &env.base};

	m.has_edit_id = m.has_result = 1;
	m.edit_id = id;
	m.result = result;
	m.reason = unconst(result == IPC_EDIT_REFUSED ? "the edited head does not parse" : "");
	env.body_case = fr.body_case = SNARE__COORD_TO_UI__BODY_EDIT_RESULT;
	env.edit_result = &m;
	ui_on_edit_result(&r->ui.chan, &fr);
}

/* The path of the stored flow. */
static void assert_stored_path(struct rig *r, const char *path)
{
	ssize_t i = ui_store_find(r->ui.store, FLOW_ID);
	Snare__Flow *f;

	assert_true(i >= 0);
	f = ui_store_load(r->ui.store, (size_t)i);
	assert_non_null(f);
	assert_string_equal(f->request->path, path);
	snare__flow__free_unpacked(f, NULL);
}

/* On time: the page gets 200 and the flow is stored (the path the late
 * answer must take as well). */
static void test_on_time(void **state)
{
	struct rig *r = &rig;
	uint64_t id;

	ui_hold_test_edit_wait(60000);
	id = put_edit(r, "/on-time");
	assert_true(r->page->waiting);
	edit_result(r, id, IPC_EDIT_SAVED);
	assert_false(r->page->waiting);
	assert_non_null(strstr(peer_read(r->page_peer), "HTTP/1.1 200"));
	assert_non_null(strstr(peer_read(r->ws_peer), "/on-time"));
	assert_stored_path(r, "/on-time");
}

/* Timed out: 504, nothing stored; the late "saved" stores the edited flow
 * and pushes it, and the page gets nothing more. */
static void test_late_saved(void **state)
{
	struct rig *r = &rig;
	uint64_t id;
	char *out;

	ui_hold_test_edit_wait(0);
	id = put_edit(r, "/late-saved");
	run_loop(r);
	assert_false(r->page->waiting);
	out = peer_read(r->page_peer);
	assert_non_null(strstr(out, "HTTP/1.1 504"));
	assert_non_null(strstr(out, "did not answer the edit yet"));
	assert_stored_path(r, "/original");
	assert_null(strstr(peer_read(r->ws_peer), "/late-saved"));

	edit_result(r, id, IPC_EDIT_SAVED);
	assert_stored_path(r, "/late-saved");
	out = peer_read(r->ws_peer);
	assert_non_null(strstr(out, "\"flow\""));
	assert_non_null(strstr(out, "/late-saved"));
	assert_string_equal(peer_read(r->page_peer), "");
}

/* Timed out, then refused: the stored flow stays as it was, nothing is
 * pushed; a second answer for the same edit finds nothing. */
static void test_late_refused(void **state)
{
	struct rig *r = &rig;
	uint64_t id;

	ui_hold_test_edit_wait(0);
	id = put_edit(r, "/late-refused");
	run_loop(r);
	assert_non_null(strstr(peer_read(r->page_peer), "HTTP/1.1 504"));
	edit_result(r, id, IPC_EDIT_REFUSED);
	edit_result(r, id, IPC_EDIT_SAVED);
	assert_stored_path(r, "/original");
	assert_string_equal(peer_read(r->ws_peer), "");
	assert_string_equal(peer_read(r->page_peer), "");
}

/* 32 pages waiting at most (503), 64 edits kept: a 65th drops the oldest
 * one nobody waits for, whose late answer then changes nothing, while the
 * newest one's is stored. */
static void test_bounded(void **state)
{
	struct rig *r = &rig;
	uint64_t ids[65];
	char path[32];
	size_t i;

	ui_hold_test_edit_wait(0);
	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/e%zu", i);
		ids[i] = put_edit(r, path);
		if (i == 31) {
			assert_int_equal(put_edit(r, "/busy"), 0);
			assert_non_null(strstr(peer_read(r->page_peer), "too many edits waiting"));
			run_loop(r);
		}
	}
	run_loop(r);
	ids[64] = put_edit(r, "/e64");
	run_loop(r);
	edit_result(r, ids[0], IPC_EDIT_SAVED);
	assert_stored_path(r, "/original");
	edit_result(r, ids[64], IPC_EDIT_SAVED);
	assert_stored_path(r, "/e64");
	edit_result(r, ids[1], IPC_EDIT_SAVED);
	assert_stored_path(r, "/e1");
	for (i = 2; i < 64; i++) /* the rest, so the next test starts empty */
		edit_result(r, ids[i], IPC_EDIT_NOT_HELD);
	assert_stored_path(r, "/e1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_on_time, held_again),
	    cmocka_unit_test_setup(test_late_saved, held_again),
	    cmocka_unit_test_setup(test_late_refused, held_again),
	    cmocka_unit_test_setup(test_bounded, held_again),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
