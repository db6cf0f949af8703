/* Unit tests (test process only) for the intercept messages' validation
 * (ipc_hold.h) through ipc_validate, as each receiver runs it: a worker
 * names held flows by hold id, the ui by flow id; edit needs a flow, kill
 * takes none, "all" is for resume and kill only, an edit id goes with an
 * edit; an edit's answer names a hold id towards the coordinator only;
 * fds are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ipc/ipc.h"
#include "ipc/ipc_hold.h"

static char flow_id[] = "0b6c1a52-7d43-4a42-9d2b-6f0a1b3c4d5e";

static Snare__Flow a_flow(void)
{
	Snare__Flow f = SNARE__FLOW__INIT;

	f.id = flow_id;
	return f;
}

/* body as a worker sends it to the coordinator (wcase) or the coordinator
 * to the ui (ucase), validated as its receiver does; the envelopes' oneof
 * members share one pointer (a union). */
static int v_up(enum ipc_channel ch, int wcase, int ucase, void *body, size_t nfds)
{
	Snare__WorkerToCoord w = SNARE__WORKER_TO_COORD__INIT;
	Snare__CoordToUi u = SNARE__COORD_TO_UI__INIT;

	if (ch == IPC_CH_WORKER_TO_COORD) {
		w.body_case = wcase;
		w.held = body;
		return ipc_validate(ch, &w.base, w.body_case, nfds);
	}
	u.body_case = ucase;
	u.held = body;
	return ipc_validate(ch, &u.base, u.body_case, nfds);
}

static int v_held(enum ipc_channel ch, Snare__FlowHeld *m, size_t nfds)
{
	return v_up(ch, SNARE__WORKER_TO_COORD__BODY_HELD, SNARE__COORD_TO_UI__BODY_HELD, m, nfds);
}

static void test_held(void **state)
{
	Snare__Flow f = a_flow();
	Snare__FlowHeld m = SNARE__FLOW_HELD__INIT;

	m.has_hold_id = m.has_phase = 1;
	m.hold_id = 7;
	m.phase = 1;
	m.flow = &f;
	assert_int_equal(v_held(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	assert_int_not_equal(v_held(IPC_CH_WORKER_TO_COORD, &m, 1), 0); /* an fd */
	assert_int_not_equal(v_held(IPC_CH_COORD_TO_UI, &m, 0), 0);	/* the ui gets no hold id */
	m.phase = 2;
	assert_int_not_equal(v_held(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	m.phase = 0;
	m.hold_id = 0;
	assert_int_not_equal(v_held(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	m.has_hold_id = 0;
	assert_int_equal(v_held(IPC_CH_COORD_TO_UI, &m, 0), 0);
	m.flow = NULL;
	assert_int_not_equal(v_held(IPC_CH_COORD_TO_UI, &m, 0), 0);
	f.id = NULL;
	m.flow = &f;
	assert_int_not_equal(v_held(IPC_CH_COORD_TO_UI, &m, 0), 0);
}

static int v_released(Snare__FlowReleased *m)
{
	Snare__WorkerToCoord w = SNARE__WORKER_TO_COORD__INIT;

	w.body_case = SNARE__WORKER_TO_COORD__BODY_RELEASED;
	w.released = m;
	return ipc_validate(IPC_CH_WORKER_TO_COORD, &w.base, w.body_case, 0);
}

static void test_released(void **state)
{
	Snare__FlowReleased m = SNARE__FLOW_RELEASED__INIT;
	char long_id[66];

	m.has_hold_id = m.has_how = 1;
	m.hold_id = 3;
	m.flow_id = flow_id;
	m.how = IPC_HOLD_CLIENT_GONE;
	assert_int_equal(v_released(&m), 0);
	m.how = IPC_HOLD_CLIENT_GONE + 1;
	assert_int_not_equal(v_released(&m), 0);
	m.how = 0;
	assert_int_not_equal(v_released(&m), 0);
	m.how = IPC_HOLD_RESUMED;
	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	m.flow_id = long_id;
	assert_int_not_equal(v_released(&m), 0);
	long_id[64] = '\0';
	assert_int_equal(v_released(&m), 0);
}

static int v_ui_cmd(Snare__HoldCommand *m)
{
	Snare__UiToCoord u = SNARE__UI_TO_COORD__INIT;

	u.body_case = SNARE__UI_TO_COORD__BODY_HOLD;
	u.hold = m;
	return ipc_validate(IPC_CH_UI_TO_COORD, &u.base, u.body_case, 0);
}

static int v_wk_cmd(Snare__HoldCommand *m)
{
	Snare__CoordToWorker c = SNARE__COORD_TO_WORKER__INIT;

	c.body_case = SNARE__COORD_TO_WORKER__BODY_HOLD;
	c.hold = m;
	return ipc_validate(IPC_CH_COORD_TO_WORKER, &c.base, c.body_case, 0);
}

static void test_command_from_ui(void **state)
{
	Snare__Flow f = a_flow();
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;

	m.has_action = 1;
	m.action = IPC_HOLD_RESUME;
	m.flow_id = flow_id;
	assert_int_equal(v_ui_cmd(&m), 0);
	m.flow_id = NULL; /* resume all */
	assert_int_equal(v_ui_cmd(&m), 0);
	m.action = IPC_HOLD_KILL; /* kill all */
	assert_int_equal(v_ui_cmd(&m), 0);
	m.action = IPC_HOLD_EDIT; /* edit needs a flow id and a flow */
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.flow_id = flow_id;
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.flow = &f;
	assert_int_equal(v_ui_cmd(&m), 0);
	m.action = IPC_HOLD_KILL; /* kill takes no flow */
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.action = 4;
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.action = IPC_HOLD_RESUME;
	m.has_hold_id = 1; /* the ui may not name a worker's hold id */
	m.hold_id = 1;
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.has_action = 0;
	m.has_hold_id = 0;
	assert_int_not_equal(v_ui_cmd(&m), 0);
}

/* An edit id asks for an answer: an edit's only, never 0. */
static void test_command_edit_id(void **state)
{
	Snare__Flow f = a_flow();
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;

	m.has_action = m.has_edit_id = 1;
	m.action = IPC_HOLD_EDIT;
	m.flow_id = flow_id;
	m.flow = &f;
	m.edit_id = 9;
	assert_int_equal(v_ui_cmd(&m), 0);
	m.edit_id = 0;
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.edit_id = 9;
	m.action = IPC_HOLD_RESUME;
	assert_int_not_equal(v_ui_cmd(&m), 0);
	m.flow_id = NULL;
	m.has_hold_id = 1;
	m.hold_id = 4;
	m.action = IPC_HOLD_EDIT;
	assert_int_equal(v_wk_cmd(&m), 0);
	m.action = IPC_HOLD_KILL;
	m.flow = NULL;
	assert_int_not_equal(v_wk_cmd(&m), 0);
}

static int v_result(enum ipc_channel ch, Snare__HoldEditResult *m, size_t nfds)
{
	return v_up(ch, SNARE__WORKER_TO_COORD__BODY_EDIT_RESULT,
		    SNARE__COORD_TO_UI__BODY_EDIT_RESULT, m, nfds);
}

/* A worker names its hold id, the ui gets none; results 1..5, the last
 * the coordinator's only; a reason of at most IPC_MAX_EDIT_REASON. */
static void test_edit_result(void **state)
{
	Snare__HoldEditResult m = SNARE__HOLD_EDIT_RESULT__INIT;
	static char reason[IPC_MAX_EDIT_REASON + 2];

	m.has_hold_id = m.has_edit_id = m.has_result = 1;
	m.hold_id = 3;
	m.edit_id = 8;
	m.result = IPC_EDIT_REFUSED;
	m.reason = (char[]){"the edited request head does not parse"};
	assert_int_equal(v_result(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	assert_int_not_equal(v_result(IPC_CH_WORKER_TO_COORD, &m, 1), 0); /* an fd */
	assert_int_not_equal(v_result(IPC_CH_COORD_TO_UI, &m, 0), 0);	  /* a hold id */
	m.result = IPC_EDIT_UNREACHABLE;
	assert_int_not_equal(v_result(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	m.result = IPC_EDIT_UNREACHABLE + 1;
	assert_int_not_equal(v_result(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	m.result = 0;
	assert_int_not_equal(v_result(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	m.result = IPC_EDIT_SAVED;
	m.hold_id = 0;
	assert_int_not_equal(v_result(IPC_CH_WORKER_TO_COORD, &m, 0), 0);
	m.has_hold_id = 0;
	assert_int_equal(v_result(IPC_CH_COORD_TO_UI, &m, 0), 0);
	m.result = IPC_EDIT_UNREACHABLE;
	assert_int_equal(v_result(IPC_CH_COORD_TO_UI, &m, 0), 0);
	m.edit_id = 0;
	assert_int_not_equal(v_result(IPC_CH_COORD_TO_UI, &m, 0), 0);
	m.edit_id = 8;
	memset(reason, 'r', IPC_MAX_EDIT_REASON);
	m.reason = reason;
	assert_int_equal(v_result(IPC_CH_COORD_TO_UI, &m, 0), 0);
	reason[IPC_MAX_EDIT_REASON] = 'r';
	assert_int_not_equal(v_result(IPC_CH_COORD_TO_UI, &m, 0), 0);
}

static void test_command_to_worker(void **state)
{
	Snare__Flow f = a_flow();
	Snare__HoldCommand m = SNARE__HOLD_COMMAND__INIT;

	m.has_action = m.has_hold_id = 1;
	m.action = IPC_HOLD_EDIT;
	m.hold_id = 5;
	m.flow = &f;
	assert_int_equal(v_wk_cmd(&m), 0);
	m.hold_id = 0; /* edit all: no */
	assert_int_not_equal(v_wk_cmd(&m), 0);
	m.action = IPC_HOLD_RESUME; /* resume all with a flow: no */
	assert_int_not_equal(v_wk_cmd(&m), 0);
	m.flow = NULL;
	assert_int_equal(v_wk_cmd(&m), 0);
	m.flow_id = flow_id; /* a worker is never told flow ids */
	assert_int_not_equal(v_wk_cmd(&m), 0);
	m.flow_id = NULL;
	m.has_hold_id = 0;
	assert_int_not_equal(v_wk_cmd(&m), 0);
}

static void test_intercept_set(void **state)
{
	Snare__UiToCoord u = SNARE__UI_TO_COORD__INIT;
	Snare__InterceptSet m = SNARE__INTERCEPT_SET__INIT;
	static char big[IPC_MAX_FILTER + 2];

	u.body_case = SNARE__UI_TO_COORD__BODY_INTERCEPT;
	u.intercept = &m;
	assert_int_not_equal(ipc_validate(IPC_CH_UI_TO_COORD, &u.base, u.body_case, 0), 0);
	m.filter = (char[]){""};
	assert_int_equal(ipc_validate(IPC_CH_UI_TO_COORD, &u.base, u.body_case, 0), 0);
	memset(big, 'x', IPC_MAX_FILTER);
	m.filter = big;
	assert_int_equal(ipc_validate(IPC_CH_UI_TO_COORD, &u.base, u.body_case, 0), 0);
	big[IPC_MAX_FILTER] = 'x';
	assert_int_not_equal(ipc_validate(IPC_CH_UI_TO_COORD, &u.base, u.body_case, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_held),
	    cmocka_unit_test(test_released),
	    cmocka_unit_test(test_command_from_ui),
	    cmocka_unit_test(test_command_to_worker),
	    cmocka_unit_test(test_command_edit_id),
	    cmocka_unit_test(test_edit_result),
	    cmocka_unit_test(test_intercept_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
