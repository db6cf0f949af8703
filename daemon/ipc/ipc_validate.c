/* validate_<msg>(): one check per message body, run by every receiver after
 * authorization.  Trusts only that protobuf-c unpacked the frame: required
 * sub-messages may be NULL, strings and counts are unbounded, and the number
 * of fds attached is whatever the sender chose. */
#include "ipc/ipc.h"

#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "ipc/ipc_hold.h"

#define IPC_MAX_MODES 64
#define IPC_MAX_MODE_SPEC 1024
#define IPC_MAX_OPTIONS 256
#define IPC_MAX_OPT_KEY 64
#define IPC_MAX_OPT_VALUE 4096
#define IPC_MAX_LOG_TEXT 4096
#define IPC_MAX_LOG_CLIENT 255
#define IPC_MAX_PATH 4096
#define IPC_MAX_USER 64
#define IPC_MAX_KEY_BITS 16384
#define IPC_MAX_GRACE_MS 3600000
#define IPC_MAX_FLOW_ID 64
#define IPC_MAX_SANS 32
#define IPC_MAX_SAN 255
#define IPC_MAX_ORG 255
#define IPC_MAX_SPKI 2048
#define IPC_MAX_CERT_DER (16 * 1024)
#define IPC_MAX_CERT_BLOB (32 * 1024) /* PEM and PKCS#12 */
#define IPC_MAX_ERROR 4096
#define IPC_MAX_TOKEN 64 /* hex digits of the web token */
#define IPC_MAX_HOST 255
#define IPC_MAX_WG_CONF 4096 /* one WireGuard client configuration */

/* A present string of min..max bytes (protobuf-c leaves absent ones NULL). */
static bool str_ok(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, max + 1);
	return n >= min && n <= max;
}

static bool opt_str_ok(const char *s, size_t max)
{
	return s == NULL || str_ok(s, 0, max);
}

static bool bytes_ok(protobuf_c_boolean has, ProtobufCBinaryData b, size_t min, size_t max)
{
	return has && b.len >= min && b.len <= max;
}

static bool validate_hello(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Hello *m = (const Snare__Hello *)body;

	return in->nfds == 0 && m->has_version && m->version == IPC_PROTOCOL_VERSION;
}

static bool validate_key_value(const Snare__KeyValue *kv)
{
	return kv != NULL && str_ok(kv->key, 1, IPC_MAX_OPT_KEY) &&
	       str_ok(kv->value, 0, IPC_MAX_OPT_VALUE);
}

/* Mode specs and option pairs, as in WorkerConfig and ReloadResult. */
static bool validate_modes_options(char *const *modes, size_t n_modes,
				   Snare__KeyValue *const *options, size_t n_options)
{
	size_t i;

	for (i = 0; i < n_modes; i++)
		if (!str_ok(modes[i], 1, IPC_MAX_MODE_SPEC))
			return false;
	for (i = 0; i < n_options; i++)
		if (!validate_key_value(options[i]))
			return false;
	return true;
}

/* Scripts and rewrite files (OptionFile), as in WorkerConfig and
 * ReloadResult: a known kind, a path, and the caps of ipc.h. */
static bool validate_option_files(Snare__OptionFile *const *v, size_t n)
{
	size_t i, total = 0;

	if (n > IPC_MAX_OPT_FILES)
		return false;
	for (i = 0; i < n; i++) {
		if (v[i] == NULL || !v[i]->has_kind || v[i]->kind < 1 || v[i]->kind > 3 ||
		    !str_ok(v[i]->path, 1, IPC_MAX_PATH) ||
		    !bytes_ok(v[i]->has_data, v[i]->data, 0, IPC_MAX_OPT_FILE))
			return false;
		total += v[i]->data.len;
	}
	return total <= IPC_MAX_OPT_FILES_TOTAL;
}

static bool validate_listener(const Snare__Listener *l, size_t n_modes)
{
	return l != NULL && l->has_mode_index && l->mode_index < n_modes;
}

static bool validate_worker_config(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__WorkerConfig *m = (const Snare__WorkerConfig *)body;
	size_t i;

	if (!m->has_worker_index || m->n_modes > IPC_MAX_MODES || m->n_options > IPC_MAX_OPTIONS ||
	    m->n_listeners > IPC_MAX_FDS || in->nfds != m->n_listeners)
		return false;
	if (!validate_modes_options(m->modes, m->n_modes, m->options, m->n_options) ||
	    !validate_option_files(m->files, m->n_files))
		return false;
	for (i = 0; i < m->n_listeners; i++)
		if (!validate_listener(m->listeners[i], m->n_modes))
			return false;
	return true;
}

static bool validate_shutdown(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Shutdown *m = (const Snare__Shutdown *)body;

	return in->nfds == 0 && (!m->has_grace_ms || m->grace_ms <= IPC_MAX_GRACE_MS);
}

static bool validate_test_trigger(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__TestTrigger *m = (const Snare__TestTrigger *)body;

	return in->nfds == 0 && m->has_what;
}

static bool validate_log_event(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__LogEvent *m = (const Snare__LogEvent *)body;

	return in->nfds == 0 && m->has_level && m->level <= LOG_LVL_DEBUG &&
	       opt_str_ok(m->client, IPC_MAX_LOG_CLIENT) && str_ok(m->text, 0, IPC_MAX_LOG_TEXT);
}

/* The frame size cap bounds the rest of a flow; its consumer checks fields. */
static bool validate_flow_event(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__FlowEvent *m = (const Snare__FlowEvent *)body;

	return in->nfds == 0 && m->flow != NULL && str_ok(m->flow->id, 1, IPC_MAX_FLOW_ID);
}

/* A replayed flow: an HTTP flow with a request (daemon/replay checks the
 * rest, as for any recorded flow). */
static bool replay_flow_ok(const Snare__Flow *f)
{
	return f != NULL && (!f->has_type || f->type == SNARE__FLOW__TYPE__HTTP) &&
	       f->request != NULL && opt_str_ok(f->id, IPC_MAX_FLOW_ID);
}

static bool validate_replay_flow(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__ReplayFlow *m = (const Snare__ReplayFlow *)body;

	/* a request to send again carries both ends of a socket pair: the
	 * worker's client connection and its own end of it */
	return in->nfds == (m->server ? 0u : 2u) && replay_flow_ok(m->flow);
}

static bool validate_replay_done(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__ReplayDone *m = (const Snare__ReplayDone *)body;

	return in->nfds == 0 && m->has_count && m->count > 0;
}

static bool validate_replay_request(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__ReplayRequest *m = (const Snare__ReplayRequest *)body;

	return in->nfds == 0 && replay_flow_ok(m->flow);
}

static bool validate_flow_body(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__FlowBody *m = (const Snare__FlowBody *)body;

	return in->nfds == 0 && str_ok(m->flow_id, 1, IPC_MAX_FLOW_ID) && m->has_part &&
	       m->part <= 1 && m->has_data && m->data.len > 0;
}

static bool validate_ca_config(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__CaConfig *m = (const Snare__CaConfig *)body;

#ifndef SNARE_TEST_HOOKS
	if (m->has_test_sign_burst || m->has_test_sign_rate)
		return false; /* test builds only */
#endif
	return in->nfds == 0 && str_ok(m->confdir, 1, IPC_MAX_PATH) &&
	       opt_str_ok(m->user, IPC_MAX_USER) &&
	       (!m->has_key_size || m->key_size <= IPC_MAX_KEY_BITS);
}

static bool validate_attach_worker(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__AttachWorker *m = (const Snare__AttachWorker *)body;

	return in->nfds == 1 && m->has_worker_index;
}

static bool validate_ca_ready(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__CaReady *m = (const Snare__CaReady *)body;

	return in->nfds == 0 && bytes_ok(m->has_ca_cert_der, m->ca_cert_der, 1, IPC_MAX_CERT_DER);
}

static bool validate_register_key(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__RegisterKey *m = (const Snare__RegisterKey *)body;

	return in->nfds == 0 && bytes_ok(m->has_leaf_spki_der, m->leaf_spki_der, 1, IPC_MAX_SPKI);
}

/* The key is optional (the registered one is used); when present the ca
 * compares it with the registered key. */
static bool validate_cert_request(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__CertRequest *m = (const Snare__CertRequest *)body;
	size_t i;

	if (in->nfds != 0 ||
	    (m->has_leaf_spki_der && !bytes_ok(1, m->leaf_spki_der, 1, IPC_MAX_SPKI)) ||
	    m->n_sans > IPC_MAX_SANS || !opt_str_ok(m->organization, IPC_MAX_ORG))
		return false;
	for (i = 0; i < m->n_sans; i++)
		if (!str_ok(m->sans[i], 1, IPC_MAX_SAN))
			return false;
	return true;
}

static bool validate_ca_info(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__CaInfo *m = (const Snare__CaInfo *)body;

	return in->nfds == 0 && bytes_ok(m->has_ca_cert_der, m->ca_cert_der, 1, IPC_MAX_CERT_DER) &&
	       bytes_ok(m->has_ca_cert_pem, m->ca_cert_pem, 1, IPC_MAX_CERT_BLOB) &&
	       bytes_ok(m->has_ca_cert_p12, m->ca_cert_p12, 1, IPC_MAX_CERT_BLOB);
}

/* Exactly one of a certificate or an error. */
static bool validate_cert_reply(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__CertReply *m = (const Snare__CertReply *)body;

	if (in->nfds != 0)
		return false;
	if (m->error != NULL)
		return !m->has_cert_der && str_ok(m->error, 1, IPC_MAX_ERROR);
	return bytes_ok(m->has_cert_der, m->cert_der, 1, IPC_MAX_CERT_DER);
}

static unsigned popcount_u32(uint32_t v)
{
	return (unsigned)__builtin_popcount(v);
}

/* The ca gets its channel (fd 3) only; a worker its two channels (fds 3, 4)
 * and optionally the key log, trust bundle, htpasswd and process map. */
static bool validate_spawn_child(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__SpawnChild *m = (const Snare__SpawnChild *)body;

	if (!m->has_role || !m->has_index || !m->has_fd_slots ||
	    m->fd_slots >= (1u << IPC_SPAWN_FD_SLOTS) || in->nfds != popcount_u32(m->fd_slots))
		return false;
	if (m->role == IPC_SPAWN_CA)
		return m->index == 0 && m->fd_slots == 1;
	/* The ui: channel, web listener, spill file, and optionally the -r file. */
	if (m->role == IPC_SPAWN_UI)
		return m->index == 0 && (m->fd_slots == 7 || m->fd_slots == 15);
	return m->role == IPC_SPAWN_WORKER && m->index < IPC_MAX_WORKERS && (m->fd_slots & 3) == 3;
}

static bool validate_reload_request(const ProtobufCMessage *body, const struct chan_in *in)
{
	(void)body;
	return in->nfds == 0;
}

/* A pid, or an error (then no pid). */
static bool validate_child_spawned(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__ChildSpawned *m = (const Snare__ChildSpawned *)body;

	if (in->nfds != 0 || !m->has_role || !m->has_index ||
	    (m->role != IPC_SPAWN_CA && m->role != IPC_SPAWN_WORKER && m->role != IPC_SPAWN_UI) ||
	    m->index >= IPC_MAX_WORKERS)
		return false;
	if (m->error != NULL)
		return !m->has_pid && str_ok(m->error, 1, IPC_MAX_ERROR);
	return m->has_pid && m->pid > 1 && m->pid <= INT32_MAX;
}

static bool validate_child_exited(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__ChildExited *m = (const Snare__ChildExited *)body;

	return in->nfds == 0 && m->has_pid && m->pid > 1 && m->pid <= INT32_MAX && m->has_status;
}

/* Either one error line, or modes, options and the files' fds. */
static bool validate_reload_result(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__ReloadResult *m = (const Snare__ReloadResult *)body;

	if (m->error != NULL)
		return in->nfds == 0 && m->n_modes == 0 && m->n_options == 0 && !m->has_fd_slots &&
		       m->n_files == 0 && str_ok(m->error, 1, IPC_MAX_ERROR);
	if (!m->has_fd_slots || m->fd_slots > 3 || in->nfds != popcount_u32(m->fd_slots) ||
	    m->n_modes > IPC_MAX_MODES || m->n_options > IPC_MAX_OPTIONS)
		return false;
	if (!validate_modes_options(m->modes, m->n_modes, m->options, m->n_options) ||
	    !validate_option_files(m->files, m->n_files))
		return false;
	return true;
}

static bool hex_ok(const char *s, size_t n)
{
	size_t i;

	if (!str_ok(s, n, n))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The token is exactly 32 bytes in hex; WireGuard configurations are
 * name -> text pairs of bounded size. */
static bool validate_ui_config(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__UiConfig *m = (const Snare__UiConfig *)body;
	size_t i;

	if (in->nfds != 0 || !hex_ok(m->token, IPC_MAX_TOKEN) ||
	    !str_ok(m->host, 1, IPC_MAX_HOST) || !m->has_port || m->port == 0 || m->port > 65535 ||
	    m->n_modes > IPC_MAX_MODES || !opt_str_ok(m->static_dir, IPC_MAX_PATH) ||
	    m->n_wireguard > IPC_MAX_MODES)
		return false;
	if (!validate_modes_options(m->modes, m->n_modes, NULL, 0))
		return false;
	for (i = 0; i < m->n_wireguard; i++)
		if (m->wireguard[i] == NULL ||
		    !str_ok(m->wireguard[i]->key, 1, IPC_MAX_MODE_SPEC) ||
		    !str_ok(m->wireguard[i]->value, 1, IPC_MAX_WG_CONF))
			return false;
	return true;
}

static bool validate_ui_dropped(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__UiDropped *m = (const Snare__UiDropped *)body;

	return in->nfds == 0 && m->has_count;
}

/* The IPC channels' table: which message each direction may carry in which
 * receiver state, its body and its validator.  Runs in every receiver
 * (coordinator, ca, workers, spawner) through chan_decode; a frame that is not
 * in this table is refused.
 *
 *   channel (receiver)         body case       allowed receiver states
 *   COORD_TO_WORKER (worker)   config          CONFIG (the worker enters CONFIG
 *                                              once it has sent its hello)
 *                              shutdown        CONFIG, RUNNING
 *                              test_trigger    RUNNING
 *                              replay          RUNNING (server replay flows
 *                                              follow the config; requests to
 *                                              send again come at any time)
 *                              hold, intercept RUNNING (intercept, ipc_hold.h)
 *   WORKER_TO_COORD (coord)    hello           HELLO
 *                              log, flow,      CONFIG, RUNNING, CLOSING
 *                              flow_body, held,
 *                              released
 *                              replay_done,    RUNNING, CLOSING
 *                              edit_result     (edit_result: intercept's
 *                                              answer to an edit)
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
 *   COORD_TO_UI (ui)           config          CONFIG (the ui enters CONFIG
 *                                              once it has sent its hello)
 *                              flow, flow_body, RUNNING
 *                              log, dropped, held, released,
 *                              intercept, edit_result
 *   UI_TO_COORD (coord)        hello           HELLO
 *                              log, hold,      RUNNING
 *                              intercept
 *                              replay          RUNNING (the web interface's
 *                                              replay; the coordinator picks
 *                                              the worker)
 *
 * The worker's flow and flow_body rows come first: they are the hot path. */
#define ST(s) (1u << IPC_ST_##s)
#define ANY_BUT_HELLO (ST(CONFIG) | ST(RUNNING) | ST(CLOSING))
/* The channel's name is also its envelope's. */
#define R(ch, body, states, name, msg, fn)                                                         \
	{                                                                                          \
		IPC_CH_##ch, SNARE__##ch##__BODY_##body, states, name,                             \
		    &snare__##msg##__descriptor, fn                                                \
	}

static const struct chan_rule ipc_rules[] = {
    R(WORKER_TO_COORD, FLOW, ANY_BUT_HELLO, "flow", flow_event, validate_flow_event),
    R(WORKER_TO_COORD, FLOW_BODY, ANY_BUT_HELLO, "flow_body", flow_body, validate_flow_body),
    R(WORKER_TO_COORD, LOG, ANY_BUT_HELLO, "log", log_event, validate_log_event),
    R(WORKER_TO_COORD, HELLO, ST(HELLO), "hello", hello, validate_hello),
    R(WORKER_TO_COORD, HELD, ANY_BUT_HELLO, "held", flow_held, ipc_validate_flow_held),
    R(WORKER_TO_COORD, RELEASED, ANY_BUT_HELLO, "released", flow_released,
      ipc_validate_flow_released),
    R(WORKER_TO_COORD, EDIT_RESULT, ST(RUNNING) | ST(CLOSING), "edit_result", hold_edit_result,
      ipc_validate_edit_result),
    R(WORKER_TO_COORD, REPLAY_DONE, ST(RUNNING) | ST(CLOSING), "replay_done", replay_done,
      validate_replay_done),

    R(COORD_TO_WORKER, CONFIG, ST(CONFIG), "config", worker_config, validate_worker_config),
    R(COORD_TO_WORKER, SHUTDOWN, ST(CONFIG) | ST(RUNNING), "shutdown", shutdown, validate_shutdown),
    R(COORD_TO_WORKER, REPLAY, ST(RUNNING), "replay", replay_flow, validate_replay_flow),
    R(COORD_TO_WORKER, TEST_TRIGGER, ST(RUNNING), "test_trigger", test_trigger,
      validate_test_trigger),
    R(COORD_TO_WORKER, HOLD, ST(RUNNING), "hold", hold_command, ipc_validate_hold_command_worker),
    R(COORD_TO_WORKER, INTERCEPT, ST(RUNNING), "intercept", intercept_set,
      ipc_validate_intercept_set),

    R(COORD_TO_CA, CONFIG, ST(CONFIG), "config", ca_config, validate_ca_config),
    R(COORD_TO_CA, ATTACH_WORKER, ST(RUNNING), "attach_worker", attach_worker,
      validate_attach_worker),
    R(COORD_TO_CA, SHUTDOWN, ST(CONFIG) | ST(RUNNING), "shutdown", shutdown, validate_shutdown),

    R(CA_TO_COORD, HELLO, ST(HELLO), "hello", hello, validate_hello),
    R(CA_TO_COORD, READY, ST(CONFIG), "ready", ca_ready, validate_ca_ready),
    R(CA_TO_COORD, LOG, ANY_BUT_HELLO, "log", log_event, validate_log_event),

    R(WORKER_TO_CA, HELLO, ST(HELLO), "hello", hello, validate_hello),
    R(WORKER_TO_CA, REGISTER_KEY, ST(CONFIG), "register_key", register_key, validate_register_key),
    R(WORKER_TO_CA, CERT_REQUEST, ST(RUNNING), "cert_request", cert_request, validate_cert_request),

    R(CA_TO_WORKER, INFO, ST(HELLO), "info", ca_info, validate_ca_info),
    R(CA_TO_WORKER, CERT_REPLY, ST(RUNNING), "cert_reply", cert_reply, validate_cert_reply),

    R(COORD_TO_SPAWNER, SPAWN, ST(CONFIG) | ST(RUNNING), "spawn", spawn_child,
      validate_spawn_child),
    R(COORD_TO_SPAWNER, RELOAD, ST(RUNNING), "reload", reload_request, validate_reload_request),

    R(SPAWNER_TO_COORD, SPAWNED, ST(RUNNING), "spawned", child_spawned, validate_child_spawned),
    R(SPAWNER_TO_COORD, EXITED, ST(RUNNING), "exited", child_exited, validate_child_exited),
    R(SPAWNER_TO_COORD, RELOADED, ST(RUNNING), "reloaded", reload_result, validate_reload_result),

    R(COORD_TO_UI, CONFIG, ST(CONFIG), "config", ui_config, validate_ui_config),
    R(COORD_TO_UI, FLOW, ST(RUNNING), "flow", flow_event, validate_flow_event),
    R(COORD_TO_UI, FLOW_BODY, ST(RUNNING), "flow_body", flow_body, validate_flow_body),
    R(COORD_TO_UI, LOG, ST(RUNNING), "log", log_event, validate_log_event),
    R(COORD_TO_UI, DROPPED, ST(RUNNING), "dropped", ui_dropped, validate_ui_dropped),
    R(COORD_TO_UI, HELD, ST(RUNNING), "held", flow_held, ipc_validate_flow_held_ui),
    R(COORD_TO_UI, RELEASED, ST(RUNNING), "released", flow_released, ipc_validate_flow_released_ui),
    R(COORD_TO_UI, INTERCEPT, ST(RUNNING), "intercept", intercept_set, ipc_validate_intercept_set),
    R(COORD_TO_UI, EDIT_RESULT, ST(RUNNING), "edit_result", hold_edit_result,
      ipc_validate_edit_result_ui),

    R(UI_TO_COORD, HELLO, ST(HELLO), "hello", hello, validate_hello),
    R(UI_TO_COORD, LOG, ST(RUNNING), "log", log_event, validate_log_event),
    R(UI_TO_COORD, HOLD, ST(RUNNING), "hold", hold_command, ipc_validate_hold_command_ui),
    R(UI_TO_COORD, INTERCEPT, ST(RUNNING), "intercept", intercept_set, ipc_validate_intercept_set),
    R(UI_TO_COORD, REPLAY, ST(RUNNING), "replay", replay_request, validate_replay_request),
};

static const ProtobufCMessageDescriptor *const ipc_envelopes[IPC_CH_COUNT] = {
    [IPC_CH_COORD_TO_WORKER] = &snare__coord_to_worker__descriptor,
    [IPC_CH_WORKER_TO_COORD] = &snare__worker_to_coord__descriptor,
    [IPC_CH_COORD_TO_CA] = &snare__coord_to_ca__descriptor,
    [IPC_CH_CA_TO_COORD] = &snare__ca_to_coord__descriptor,
    [IPC_CH_WORKER_TO_CA] = &snare__worker_to_ca__descriptor,
    [IPC_CH_CA_TO_WORKER] = &snare__ca_to_worker__descriptor,
    [IPC_CH_COORD_TO_SPAWNER] = &snare__coord_to_spawner__descriptor,
    [IPC_CH_SPAWNER_TO_COORD] = &snare__spawner_to_coord__descriptor,
    [IPC_CH_COORD_TO_UI] = &snare__coord_to_ui__descriptor,
    [IPC_CH_UI_TO_COORD] = &snare__ui_to_coord__descriptor,
};

const struct chan_desc ipc_chan = {
    .name = "ipc",
    .envelopes = ipc_envelopes,
    .ndirs = IPC_CH_COUNT,
    .nstates = IPC_ST_COUNT,
    .max_frame = IPC_MAX_FRAME,
    .flags = 0,
    .rules = ipc_rules,
    .nrules = ARRAY_SIZE(ipc_rules),
};

int ipc_validate(enum ipc_channel ch, const ProtobufCMessage *env, int body_case, size_t nfds)
{
	return chan_validate(&ipc_chan, (unsigned)ch, env, body_case, NULL, nfds);
}

bool ipc_authorized(enum ipc_channel ch, int body_case, enum ipc_state state)
{
	return chan_authorized(&ipc_chan, (unsigned)ch, body_case, (unsigned)state);
}
