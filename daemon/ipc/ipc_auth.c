/* The authorization table: which message each channel direction may carry in
 * which receiver state.  Runs in every receiver (coordinator, ca, workers)
 * before validation; a frame that is not in this table is refused.
 *
 *   channel (receiver)         body case       allowed receiver states
 *   COORD_TO_WORKER (worker)   config          CONFIG (the worker enters CONFIG
 *                                              once it has sent its hello)
 *                              shutdown        CONFIG, RUNNING
 *                              test_trigger    RUNNING
 *   WORKER_TO_COORD (coord)    hello           HELLO
 *                              log, flow       CONFIG, RUNNING, CLOSING
 *   COORD_TO_CA (ca)           config          CONFIG
 *                              attach_worker   RUNNING
 *                              shutdown        CONFIG, RUNNING
 *   CA_TO_COORD (coord)        hello           HELLO
 *                              ready           CONFIG
 *                              log             CONFIG, RUNNING, CLOSING
 *   WORKER_TO_CA (ca)          hello           HELLO (the ca then enters CONFIG)
 *                              register_key    CONFIG (the ca then enters
 *                                              RUNNING: one key per channel)
 *                              cert_request    RUNNING
 *   CA_TO_WORKER (worker)      info            HELLO (the first frame)
 *                              cert_reply      RUNNING
 *   COORD_TO_SPAWNER (spawner) spawn           CONFIG (the ca, as the first
 *                                              request), RUNNING
 *                              reload          RUNNING
 *   SPAWNER_TO_COORD (coord)   spawned, exited, reloaded   RUNNING
 */
#include "ipc/ipc.h"

#define ST(s) (1u << IPC_ST_##s)

struct ipc_auth_rule {
	enum ipc_channel ch;
	int body_case;
	unsigned states; /* bit set of enum ipc_state */
};

static const struct ipc_auth_rule ipc_auth_table[] = {
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_CONFIG, ST(CONFIG)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_SHUTDOWN, ST(CONFIG) | ST(RUNNING)},
    {IPC_CH_COORD_TO_WORKER, SNARE__COORD_TO_WORKER__BODY_TEST_TRIGGER, ST(RUNNING)},

    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_HELLO, ST(HELLO)},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_LOG,
     ST(CONFIG) | ST(RUNNING) | ST(CLOSING)},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_FLOW,
     ST(CONFIG) | ST(RUNNING) | ST(CLOSING)},
    {IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_FLOW_BODY,
     ST(CONFIG) | ST(RUNNING) | ST(CLOSING)},

    {IPC_CH_COORD_TO_CA, SNARE__COORD_TO_CA__BODY_CONFIG, ST(CONFIG)},
    {IPC_CH_COORD_TO_CA, SNARE__COORD_TO_CA__BODY_ATTACH_WORKER, ST(RUNNING)},
    {IPC_CH_COORD_TO_CA, SNARE__COORD_TO_CA__BODY_SHUTDOWN, ST(CONFIG) | ST(RUNNING)},

    {IPC_CH_CA_TO_COORD, SNARE__CA_TO_COORD__BODY_HELLO, ST(HELLO)},
    {IPC_CH_CA_TO_COORD, SNARE__CA_TO_COORD__BODY_READY, ST(CONFIG)},
    {IPC_CH_CA_TO_COORD, SNARE__CA_TO_COORD__BODY_LOG, ST(CONFIG) | ST(RUNNING) | ST(CLOSING)},

    {IPC_CH_WORKER_TO_CA, SNARE__WORKER_TO_CA__BODY_HELLO, ST(HELLO)},
    {IPC_CH_WORKER_TO_CA, SNARE__WORKER_TO_CA__BODY_REGISTER_KEY, ST(CONFIG)},
    {IPC_CH_WORKER_TO_CA, SNARE__WORKER_TO_CA__BODY_CERT_REQUEST, ST(RUNNING)},

    {IPC_CH_CA_TO_WORKER, SNARE__CA_TO_WORKER__BODY_INFO, ST(HELLO)},
    {IPC_CH_CA_TO_WORKER, SNARE__CA_TO_WORKER__BODY_CERT_REPLY, ST(RUNNING)},

    {IPC_CH_COORD_TO_SPAWNER, SNARE__COORD_TO_SPAWNER__BODY_SPAWN, ST(CONFIG) | ST(RUNNING)},
    {IPC_CH_COORD_TO_SPAWNER, SNARE__COORD_TO_SPAWNER__BODY_RELOAD, ST(RUNNING)},

    {IPC_CH_SPAWNER_TO_COORD, SNARE__SPAWNER_TO_COORD__BODY_SPAWNED, ST(RUNNING)},
    {IPC_CH_SPAWNER_TO_COORD, SNARE__SPAWNER_TO_COORD__BODY_EXITED, ST(RUNNING)},
    {IPC_CH_SPAWNER_TO_COORD, SNARE__SPAWNER_TO_COORD__BODY_RELOADED, ST(RUNNING)},
};

bool ipc_authorized(enum ipc_channel ch, int body_case, enum ipc_state state)
{
	size_t i;

	if ((unsigned)state >= IPC_ST_COUNT)
		return false;
	for (i = 0; i < ARRAY_SIZE(ipc_auth_table); i++) {
		const struct ipc_auth_rule *r = &ipc_auth_table[i];

		if (r->ch == ch && r->body_case == body_case)
			return (r->states & (1u << state)) != 0;
	}
	return false;
}
