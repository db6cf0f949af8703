/* The redirector channel's descriptor (its one table of rules: authorisation
 * and validation side by side), in the coordinator and in
 * snare-redirector; ipc/chan.c runs the pipeline.  Trusts nothing in the
 * bytes: a frame must pass the size cap, unpack without unknown fields,
 * carry a seq and a known case allowed in the receiver's state and validate
 * before anyone reads it.
 *
 *   direction (receiver)   body case                         allowed states
 *   TO_HELPER              set_intercept, get_tun,           READY
 *                          open_proc_map
 *   TO_COORD               ok, error                         WAITING */
#include "intercept/intercept_proto.h"

#include <errno.h>
#include <string.h>

#include "intercept/intercept.h"

#define C2R(c) SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__BODY_##c
#define R2C(c) SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_##c
#define ST(s) (1u << INTERCEPT_ST_##s)
#define D(m) &snare__redirector__##m##__descriptor

static bool intercept_printable(const char *s, size_t max, bool empty_ok)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, max + 1);
	if (n > max || (n == 0 && !empty_ok))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* Requests carry no fds. */
static bool intercept_valid_set(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Redirector__SetIntercept *m = (const void *)body;
	struct redir_spec t;

	if (in->nfds != 0 || m->spec == NULL || m->n_own_pids > INTERCEPT_MAX_OWN_PIDS)
		return false;
	for (size_t i = 0; i < m->n_own_pids; i++)
		if (m->own_pids[i] == 0 || m->own_pids[i] > INTERCEPT_PID_MAX)
			return false;
	return intercept_compile(m->spec, &t, NULL, 0) >= 0;
}

static bool intercept_valid_request(const ProtobufCMessage *body, const struct chan_in *in)
{
	return in->nfds == 0;
}

/* A reply's own seq must match the envelope's; ctx is the number of fds
 * the outstanding request's Ok carries. */
static bool intercept_valid_ok(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Redirector__Ok *m = (const void *)body;
	const size_t *ok_fds = in->ctx;

	if (!m->has_seq || m->seq != in->seq || in->nfds != *ok_fds)
		return false;
	if (m->tun_name != NULL && !intercept_printable(m->tun_name, INTERCEPT_TUN_NAME_MAX, false))
		return false;
	return m->description == NULL ||
	       intercept_printable(m->description, INTERCEPT_DESC_MAX, true);
}

static bool intercept_valid_error(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Redirector__Error *m = (const void *)body;

	return m->has_seq && m->seq == in->seq && in->nfds == 0 &&
	       intercept_printable(m->message, INTERCEPT_ERROR_MAX, false);
}

static const struct chan_rule intercept_rules[] = {
    {INTERCEPT_TO_HELPER, C2R(SET_INTERCEPT), ST(READY), "set_intercept", D(set_intercept),
     intercept_valid_set},
    {INTERCEPT_TO_HELPER, C2R(GET_TUN), ST(READY), "get_tun", D(get_tun), intercept_valid_request},
    {INTERCEPT_TO_HELPER, C2R(OPEN_PROC_MAP), ST(READY), "open_proc_map", D(open_proc_map),
     intercept_valid_request},
    {INTERCEPT_TO_COORD, R2C(OK), ST(WAITING), "ok", D(ok), intercept_valid_ok},
    {INTERCEPT_TO_COORD, R2C(ERROR), ST(WAITING), "error", D(error), intercept_valid_error},
};

static const ProtobufCMessageDescriptor *const intercept_envelopes[INTERCEPT_DIR_COUNT] = {
    [INTERCEPT_TO_HELPER] = &snare__redirector__coord_to_redirector__descriptor,
    [INTERCEPT_TO_COORD] = &snare__redirector__redirector_to_coord__descriptor,
};

const struct chan_desc intercept_chan = {
    .name = "redirector",
    .envelopes = intercept_envelopes,
    .ndirs = INTERCEPT_DIR_COUNT,
    .nstates = INTERCEPT_ST_COUNT,
    .max_frame = INTERCEPT_MAX_FRAME,
    .flags = CHAN_STRICT,
    .rules = intercept_rules,
    .nrules = ARRAY_SIZE(intercept_rules),
};

bool intercept_authorized(enum intercept_dir dir, int body_case, enum intercept_state state)
{
	return chan_authorized(&intercept_chan, (unsigned)dir, body_case, (unsigned)state);
}

const char *intercept_case_name(enum intercept_dir dir, int body_case)
{
	return chan_case_name(&intercept_chan, (unsigned)dir, body_case);
}

size_t intercept_ok_fds(int req_case)
{
	return req_case == C2R(GET_TUN) || req_case == C2R(OPEN_PROC_MAP) ? 1 : 0;
}

int intercept_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	return chan_pack(&intercept_chan, env, buf, cap);
}

int intercept_decode(enum intercept_dir dir, enum intercept_state state, size_t ok_fds,
		     const uint8_t *buf, size_t len, size_t nfds, struct intercept_msg *out)
{
	struct chan_msg m;
	int rc;

	rc = chan_decode(&intercept_chan, (unsigned)dir, (unsigned)state, &ok_fds, buf, len, nfds,
			 &m);
	if (rc < 0)
		return rc;
	*out = (struct intercept_msg){.msg = m.env, .body_case = m.body_case, .seq = m.seq};
	return 0;
}

void intercept_msg_free(struct intercept_msg *m)
{
	if (m->msg != NULL)
		protobuf_c_message_free_unpacked(m->msg, NULL);
	m->msg = NULL;
}
