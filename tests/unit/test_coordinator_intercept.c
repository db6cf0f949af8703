/* Unit tests (test process only) for intercept's routing in the coordinator
 * (intercept_route.c), over real SEQPACKET channels: a worker's FlowHeld
 * reaches the ui without its hold id; the ui's HoldCommand by flow id goes
 * to the worker holding it, with that worker's hold id, and nowhere else;
 * an id not held is ignored; "all" goes to every worker; FlowReleased and a
 * worker's end clear the route and tell the ui; InterceptSet is checked,
 * kept in the options and sent to every worker; after a reload the
 * ui hears the filter in force; an edit's answer goes back to the ui from
 * the worker it was sent to only, and the coordinator answers itself for a
 * flow not held or a worker that ends first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/intercept_route.h"
#include "ipc/ipc_hold.h"

#define NW 2

static struct {
	struct loop *loop;
	struct cli cli;
	struct coord co;
	struct coord_child w[NW];
	int peer[NW + 1]; /* the workers' and (last) the ui's ends */
} fx;

static void on_close(struct ipc_chan *ch, int err)
{
}

static void chan_pair(struct coord_child *c, enum ipc_channel rx, int *peer)
{
	int sp[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp),
			 0);
	assert_int_equal(ipc_chan_init(&c->chan, fx.loop, sp[0], rx, NULL, on_close, c), 0);
	c->co = &fx.co;
	c->chan_open = true;
	c->chan.state = IPC_ST_RUNNING;
	*peer = sp[1];
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.loop = loop_new();
	options_init(&fx.cli.opts);
	fx.cli.opts.web = true;
	fx.co.cli = &fx.cli;
	fx.co.workers = fx.w;
	fx.co.nworkers = NW;
	for (unsigned i = 0; i < NW; i++) {
		fx.w[i].index = i;
		fx.w[i].kind = CHILD_WORKER;
		chan_pair(&fx.w[i], IPC_CH_WORKER_TO_COORD, &fx.peer[i]);
	}
	fx.co.ui.kind = CHILD_UI;
	chan_pair(&fx.co.ui, IPC_CH_UI_TO_COORD, &fx.peer[NW]);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < NW; i++)
		coord_hold_worker_gone(&fx.co, i);
	for (unsigned i = 0; i <= NW; i++) {
		ipc_chan_close(i < NW ? &fx.w[i].chan : &fx.co.ui.chan);
		close(fx.peer[i]);
	}
	options_free(&fx.cli.opts);
	loop_free(fx.loop);
	return 0;
}

/* Packs env and decodes it as its receiver would (RUNNING). */
static void decode(ProtobufCMessage *env, enum ipc_channel ch, struct ipc_frame *out)
{
	static uint8_t buf[IPC_MAX_FRAME];
	int n = ipc_pack(env, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(ipc_decode(ch, IPC_ST_RUNNING, buf, (size_t)n, NULL, 0, out), 0);
}

/* Hands env, as its receiver decodes it, to the handler fn on channel `on`. */
static void deliver(ProtobufCMessage *env, enum ipc_channel ch,
		    void (*fn)(struct ipc_chan *, struct ipc_frame *), struct ipc_chan *on)
{
	struct ipc_frame fr;

	decode(env, ch, &fr);
	fn(on, &fr);
	ipc_frame_free(&fr);
}

/* The next frame on peer i, decoded for that receiver; false when none. */
static bool next_frame(unsigned i, struct ipc_frame *out)
{
	static uint8_t buf[IPC_MAX_FRAME];
	size_t nfds = 0;
	int n = ipc_recv_raw(fx.peer[i], buf, sizeof(buf), NULL, 0, &nfds);

	if (n <= 0)
		return false;
	assert_int_equal(ipc_decode(i < NW ? IPC_CH_COORD_TO_WORKER : IPC_CH_COORD_TO_UI,
				    IPC_ST_RUNNING, buf, (size_t)n, NULL, 0, out),
			 0);
	return true;
}

static char id_a[] = "11111111-2222-4333-8444-555555555555";
static char id_b[] = "66666666-7777-4888-8999-000000000000";

/* Worker w says it holds flow `id` as hold id `hid`. */
static void held(unsigned w, char *id, uint64_t hid)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__FlowHeld m = SNARE__FLOW_HELD__INIT;
	Snare__Flow f = SNARE__FLOW__INIT;
	struct ipc_frame ui;

	f.id = id;
	m.has_hold_id = m.has_phase = 1;
	m.hold_id = hid;
	m.flow = &f;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_HELD;
	env.held = &m;
	deliver(&env.base, IPC_CH_WORKER_TO_COORD, coord_hold_on_held, &fx.w[w].chan);
	assert_true(next_frame(NW, &ui));
	assert_int_equal(ui.body_case, SNARE__COORD_TO_UI__BODY_HELD);
	assert_string_equal(((Snare__CoordToUi *)ui.msg)->held->flow->id, id);
	assert_false(((Snare__CoordToUi *)ui.msg)->held->has_hold_id);
	ipc_frame_free(&ui);
}

static void ui_command(unsigned action, char *id)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;

	m.has_action = 1;
	m.action = action;
	m.flow_id = id;
	env.body_case = SNARE__UI_TO_COORD__BODY_HOLD;
	env.hold = &m;
	deliver(&env.base, IPC_CH_UI_TO_COORD, coord_hold_on_ui_command, &fx.co.ui.chan);
}

/* Worker w got a HoldCommand for hold id hid. */
static void expect_command(unsigned w, unsigned action, uint64_t hid)
{
	struct ipc_frame fr;
	const Snare__HoldCommand *m;

	assert_true(next_frame(w, &fr));
	assert_int_equal(fr.body_case, SNARE__COORD_TO_WORKER__BODY_HOLD);
	m = ((Snare__CoordToWorker *)fr.msg)->hold;
	assert_int_equal(m->action, action);
	assert_int_equal(m->hold_id, hid);
	assert_null(m->flow_id);
	ipc_frame_free(&fr);
}

static void expect_nothing(unsigned i)
{
	struct ipc_frame fr;

	assert_false(next_frame(i, &fr));
}

static void test_route_by_flow_id(void **state)
{
	held(0, id_a, 7);
	held(1, id_b, 3);
	assert_int_equal(coord_hold_count(), 2);
	ui_command(IPC_HOLD_RESUME, id_b);
	expect_command(1, IPC_HOLD_RESUME, 3);
	expect_nothing(0);
	ui_command(IPC_HOLD_KILL, id_a);
	expect_command(0, IPC_HOLD_KILL, 7);
	expect_nothing(1);
	ui_command(IPC_HOLD_RESUME, (char[]){"not-held"});
	expect_nothing(0);
	expect_nothing(1);
	ui_command(IPC_HOLD_RESUME, NULL); /* all: every worker, hold id 0 */
	expect_command(0, IPC_HOLD_RESUME, 0);
	expect_command(1, IPC_HOLD_RESUME, 0);
}

static void test_released_and_worker_gone(void **state)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__FlowReleased m = SNARE__FLOW_RELEASED__INIT;
	struct ipc_frame ui;

	held(0, id_a, 7);
	held(1, id_b, 3);
	m.has_hold_id = m.has_how = 1;
	m.hold_id = 7;
	m.how = IPC_HOLD_RESUMED;
	m.flow_id = id_a;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_RELEASED;
	env.released = &m;
	deliver(&env.base, IPC_CH_WORKER_TO_COORD, coord_hold_on_released, &fx.w[0].chan);
	assert_int_equal(coord_hold_count(), 1);
	assert_true(next_frame(NW, &ui));
	assert_int_equal(ui.body_case, SNARE__COORD_TO_UI__BODY_RELEASED);
	assert_string_equal(((Snare__CoordToUi *)ui.msg)->released->flow_id, id_a);
	ipc_frame_free(&ui);
	ui_command(IPC_HOLD_RESUME, id_a); /* released: not routed any more */
	expect_nothing(0);
	coord_hold_worker_gone(&fx.co, 1);
	assert_int_equal(coord_hold_count(), 0);
	assert_true(next_frame(NW, &ui));
	assert_int_equal(((Snare__CoordToUi *)ui.msg)->released->how, IPC_HOLD_CLIENT_GONE);
	assert_string_equal(((Snare__CoordToUi *)ui.msg)->released->flow_id, id_b);
	ipc_frame_free(&ui);
}

static void ui_edit(char *id, uint64_t edit_id)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;
	Snare__Flow f = SNARE__FLOW__INIT;

	f.id = id;
	m.has_action = m.has_edit_id = 1;
	m.action = IPC_HOLD_EDIT;
	m.flow_id = id;
	m.flow = &f;
	m.edit_id = edit_id;
	env.body_case = SNARE__UI_TO_COORD__BODY_HOLD;
	env.hold = &m;
	deliver(&env.base, IPC_CH_UI_TO_COORD, coord_hold_on_ui_command, &fx.co.ui.chan);
}

static void worker_answer(unsigned w, uint64_t hid, uint64_t edit_id, unsigned result)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__HoldEditResult m = SNARE__HOLD_EDIT_RESULT__INIT;

	m.has_hold_id = m.has_edit_id = m.has_result = 1;
	m.hold_id = hid;
	m.edit_id = edit_id;
	m.result = result;
	m.reason = (char[]){"the edited head does not parse"};
	env.body_case = SNARE__WORKER_TO_COORD__BODY_EDIT_RESULT;
	env.edit_result = &m;
	deliver(&env.base, IPC_CH_WORKER_TO_COORD, coord_hold_on_edit_result, &fx.w[w].chan);
}

/* The ui got the answer to edit edit_id: result, and no hold id. */
static void expect_answer(uint64_t edit_id, unsigned result)
{
	struct ipc_frame fr;
	const Snare__HoldEditResult *m;

	assert_true(next_frame(NW, &fr));
	assert_int_equal(fr.body_case, SNARE__COORD_TO_UI__BODY_EDIT_RESULT);
	m = ((Snare__CoordToUi *)fr.msg)->edit_result;
	assert_int_equal(m->edit_id, edit_id);
	assert_int_equal(m->result, result);
	assert_false(m->has_hold_id);
	assert_non_null(m->reason);
	ipc_frame_free(&fr);
}

static void test_edit_answers(void **state)
{
	struct ipc_frame fr;

	held(0, id_a, 7);
	ui_edit(id_a, 5);
	assert_true(next_frame(0, &fr)); /* the worker holding it, with the edit id */
	assert_int_equal(((Snare__CoordToWorker *)fr.msg)->hold->hold_id, 7);
	assert_int_equal(((Snare__CoordToWorker *)fr.msg)->hold->edit_id, 5);
	ipc_frame_free(&fr);
	expect_nothing(1);
	assert_int_equal(coord_hold_edits_waiting(), 1);
	worker_answer(1, 3, 5, IPC_EDIT_SAVED); /* not sent to worker 1: dropped */
	expect_nothing(NW);
	worker_answer(0, 7, 5, IPC_EDIT_REFUSED);
	expect_answer(5, IPC_EDIT_REFUSED);
	assert_int_equal(coord_hold_edits_waiting(), 0);
	worker_answer(0, 7, 5, IPC_EDIT_SAVED); /* answered already */
	expect_nothing(NW);
	ui_edit((char[]){"not-held"}, 6); /* the coordinator answers */
	expect_answer(6, IPC_EDIT_NOT_HELD);
	expect_nothing(0);
	ui_edit(id_a, 8);
	assert_true(next_frame(0, &fr));
	ipc_frame_free(&fr);
	coord_hold_worker_gone(&fx.co, 0); /* the answer, then the release */
	expect_answer(8, IPC_EDIT_NOT_HELD);
	assert_true(next_frame(NW, &fr));
	assert_int_equal(fr.body_case, SNARE__COORD_TO_UI__BODY_RELEASED);
	ipc_frame_free(&fr);
	assert_int_equal(coord_hold_edits_waiting(), 0);
}

static void intercept_set(char *filter)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__InterceptSet m = SNARE__INTERCEPT_SET__INIT;

	m.filter = filter;
	env.body_case = SNARE__UI_TO_COORD__BODY_INTERCEPT;
	env.intercept = &m;
	deliver(&env.base, IPC_CH_UI_TO_COORD, coord_hold_on_ui_intercept, &fx.co.ui.chan);
}

static void test_intercept_set(void **state)
{
	struct ipc_frame fr;

	intercept_set((char[]){"~q & ~d example.com"});
	assert_string_equal(fx.cli.opts.intercept, "~q & ~d example.com");
	for (unsigned i = 0; i < NW; i++) {
		assert_true(next_frame(i, &fr));
		assert_int_equal(fr.body_case, SNARE__COORD_TO_WORKER__BODY_INTERCEPT);
		assert_string_equal(((Snare__CoordToWorker *)fr.msg)->intercept->filter,
				    "~q & ~d example.com");
		ipc_frame_free(&fr);
	}
	intercept_set((char[]){"~q &"}); /* refused: nothing changes, nothing is sent */
	assert_string_equal(fx.cli.opts.intercept, "~q & ~d example.com");
	expect_nothing(0);
	expect_nothing(1);
	coord_hold_reloaded(&fx.co); /* the ui hears the filter in force */
	assert_true(next_frame(NW, &fr));
	assert_int_equal(fr.body_case, SNARE__COORD_TO_UI__BODY_INTERCEPT);
	assert_string_equal(((Snare__CoordToUi *)fr.msg)->intercept->filter, "~q & ~d example.com");
	ipc_frame_free(&fr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_route_by_flow_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_released_and_worker_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_intercept_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit_answers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
