/* Unit test (test process only) of the IPC authorization table: every
 * (channel, body case, state) triple not listed below, including case numbers
 * beyond each oneof and out-of-range states and channels, must be refused.
 * The list is written from docs/architecture.md (Authorisation),
 * independently of the rules in ipc_validate.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ipc/ipc.h"

#define ST(s) (1u << IPC_ST_##s)
#define ALIVE (ST(CONFIG) | ST(RUNNING) | ST(CLOSING))

struct allowed {
	enum ipc_channel ch;
	int body_case;
	unsigned states;
};

static const struct allowed allowed[] = {
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_CONFIG, ST(CONFIG)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_SHUTDOWN, ST(CONFIG) | ST(RUNNING)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_TEST_TRIGGER, ST(RUNNING)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_HOLD, ST(RUNNING)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_INTERCEPT, ST(RUNNING)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_REPLAY, ST(RUNNING)},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_HELLO, ST(HELLO)},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_LOG, ALIVE},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_FLOW, ALIVE},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_FLOW_BODY, ALIVE},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_HELD, ALIVE},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_RELEASED, ALIVE},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_REPLAY_DONE, ST(RUNNING) | ST(CLOSING)},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_EDIT_RESULT, ST(RUNNING) | ST(CLOSING)},
    {IPC_CH_COORD_TO_CA, SNARE__COORD_TO_CA__BODY_CONFIG, ST(CONFIG)},
    {IPC_CH_COORD_TO_CA, SNARE__COORD_TO_CA__BODY_ATTACH_WORKER, ST(RUNNING)},
    {IPC_CH_COORD_TO_CA, SNARE__COORD_TO_CA__BODY_SHUTDOWN, ST(CONFIG) | ST(RUNNING)},
    {IPC_CH_CA_TO_COORD, SNARE__CA_TO_COORD__BODY_HELLO, ST(HELLO)},
    {IPC_CH_CA_TO_COORD, SNARE__CA_TO_COORD__BODY_READY, ST(CONFIG)},
    {IPC_CH_CA_TO_COORD, SNARE__CA_TO_COORD__BODY_LOG, ALIVE},
    {IPC_CH_WORKER_TO_CA, SNARE__WORKER_TO_CA__BODY_HELLO, ST(HELLO)},
    /* once: the ca leaves CONFIG when a key is registered */
    {IPC_CH_WORKER_TO_CA, SNARE__WORKER_TO_CA__BODY_REGISTER_KEY, ST(CONFIG)},
    {IPC_CH_WORKER_TO_CA, SNARE__WORKER_TO_CA__BODY_CERT_REQUEST, ST(RUNNING)},
    {IPC_CH_CA_TO_WORKER, SNARE__CA_TO_WORKER__BODY_INFO, ST(HELLO)},
    {IPC_CH_CA_TO_WORKER, SNARE__CA_TO_WORKER__BODY_CERT_REPLY, ST(RUNNING)},
    {IPC_CH_COORD_TO_SPAWNER, SNARE__COORD_TO_SPAWNER__BODY_SPAWN, ST(CONFIG) | ST(RUNNING)},
    {IPC_CH_COORD_TO_SPAWNER, SNARE__COORD_TO_SPAWNER__BODY_RELOAD, ST(RUNNING)},
    {IPC_CH_SPAWNER_TO_COORD, SNARE__SPAWNER_TO_COORD__BODY_SPAWNED, ST(RUNNING)},
    {IPC_CH_SPAWNER_TO_COORD, SNARE__SPAWNER_TO_COORD__BODY_EXITED, ST(RUNNING)},
    {IPC_CH_SPAWNER_TO_COORD, SNARE__SPAWNER_TO_COORD__BODY_RELOADED, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_CONFIG, ST(CONFIG)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_FLOW, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_FLOW_BODY, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_LOG, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_DROPPED, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_HELD, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_RELEASED, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_INTERCEPT, ST(RUNNING)},
    {IPC_CH_COORD_TO_UI, SNARE__COORD_TO_UI__BODY_EDIT_RESULT, ST(RUNNING)},
    {IPC_CH_UI_TO_COORD, SNARE__UI_TO_COORD__BODY_HELLO, ST(HELLO)},
    {IPC_CH_UI_TO_COORD, SNARE__UI_TO_COORD__BODY_LOG, ST(RUNNING)},
    {IPC_CH_UI_TO_COORD, SNARE__UI_TO_COORD__BODY_HOLD, ST(RUNNING)},
    {IPC_CH_UI_TO_COORD, SNARE__UI_TO_COORD__BODY_INTERCEPT, ST(RUNNING)},
    {IPC_CH_UI_TO_COORD, SNARE__UI_TO_COORD__BODY_REPLAY, ST(RUNNING)},
};

static bool expected(int ch, int body_case, int state)
{
	size_t i;

	if (state < 0 || state >= IPC_ST_COUNT)
		return false;
	for (i = 0; i < ARRAY_SIZE(allowed); i++)
		if ((int)allowed[i].ch == ch && allowed[i].body_case == body_case)
			return (allowed[i].states & (1u << state)) != 0;
	return false;
}

/* The largest field number of a channel's envelope. */
static int max_case(int ch)
{
	const ProtobufCMessageDescriptor *d = ipc_channel_descriptor((enum ipc_channel)ch);
	int m = 0;
	unsigned i;

	if (d == NULL)
		return 0;
	for (i = 0; i < d->n_fields; i++)
		if ((int)d->fields[i].id > m)
			m = (int)d->fields[i].id;
	return m;
}

static void test_auth_sweep(void **state)
{
	int ch, bc, st, granted = 0, checked = 0;

	for (ch = -1; ch <= IPC_CH_COUNT + 1; ch++) {
		for (bc = -2; bc <= max_case(ch) + 8; bc++) {
			for (st = -1; st <= IPC_ST_COUNT + 40; st++) {
				bool got =
				    ipc_authorized((enum ipc_channel)ch, bc, (enum ipc_state)st);

				if (got != expected(ch, bc, st))
					fail_msg("ch %d case %d state %d: got %d", ch, bc, st, got);
				granted += got;
				checked++;
			}
		}
	}
	/* 61 (channel, case, state) triples are allowed, nothing else. */
	assert_int_equal(granted, 61);
	assert_true(checked > 5000);
}

/* Every oneof case of every envelope is in the table: nothing is unreachable. */
static void test_auth_every_case_listed(void **state)
{
	int ch;
	unsigned i;

	for (ch = 0; ch < IPC_CH_COUNT; ch++) {
		const ProtobufCMessageDescriptor *d = ipc_channel_descriptor((enum ipc_channel)ch);

		assert_non_null(d);
		for (i = 0; i < d->n_fields; i++) {
			int st, n = 0;

			if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
				continue;
			for (st = 0; st < IPC_ST_COUNT; st++)
				n += ipc_authorized((enum ipc_channel)ch, (int)d->fields[i].id,
						    (enum ipc_state)st);
			if (n == 0)
				fail_msg("%s.%s is never allowed", d->name, d->fields[i].name);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_sweep),
	    cmocka_unit_test(test_auth_every_case_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
