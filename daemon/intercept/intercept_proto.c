/* Codec, authorization table and validation of the redirector channel, in
 * the coordinator and in snare-redirector.  Trusts nothing in the bytes: a
 * frame must pass the size cap, unpack without unknown fields, carry a known
 * case allowed in the receiver's state and validate before anyone reads it.
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

static const struct {
	enum intercept_dir dir;
	int body_case;
	unsigned states;
	const char *name;
} intercept_auth_table[] = {
    {INTERCEPT_TO_HELPER, C2R(SET_INTERCEPT), ST(READY), "set_intercept"},
    {INTERCEPT_TO_HELPER, C2R(GET_TUN), ST(READY), "get_tun"},
    {INTERCEPT_TO_HELPER, C2R(OPEN_PROC_MAP), ST(READY), "open_proc_map"},
    {INTERCEPT_TO_COORD, R2C(OK), ST(WAITING), "ok"},
    {INTERCEPT_TO_COORD, R2C(ERROR), ST(WAITING), "error"},
};

static const ProtobufCMessageDescriptor *const intercept_envelopes[INTERCEPT_DIR_COUNT] = {
    [INTERCEPT_TO_HELPER] = &snare__redirector__coord_to_redirector__descriptor,
    [INTERCEPT_TO_COORD] = &snare__redirector__redirector_to_coord__descriptor,
};

bool intercept_authorized(enum intercept_dir dir, int body_case, enum intercept_state state)
{
	if ((unsigned)dir >= INTERCEPT_DIR_COUNT || (unsigned)state >= INTERCEPT_ST_COUNT)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(intercept_auth_table); i++)
		if (intercept_auth_table[i].dir == dir &&
		    intercept_auth_table[i].body_case == body_case)
			return (intercept_auth_table[i].states & (1u << state)) != 0;
	return false;
}

const char *intercept_case_name(enum intercept_dir dir, int body_case)
{
	for (size_t i = 0; i < ARRAY_SIZE(intercept_auth_table); i++)
		if (intercept_auth_table[i].dir == dir &&
		    intercept_auth_table[i].body_case == body_case)
			return intercept_auth_table[i].name;
	return "?";
}

size_t intercept_ok_fds(int req_case)
{
	return req_case == C2R(GET_TUN) || req_case == C2R(OPEN_PROC_MAP) ? 1 : 0;
}

int intercept_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(env);

	if (n > cap || n > INTERCEPT_MAX_FRAME)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(env, buf);
}

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

static int intercept_valid_set(const Snare__Redirector__SetIntercept *m)
{
	struct redir_spec t;

	if (m->spec == NULL || m->n_own_pids > INTERCEPT_MAX_OWN_PIDS)
		return -EINVAL;
	for (size_t i = 0; i < m->n_own_pids; i++)
		if (m->own_pids[i] == 0 || m->own_pids[i] > INTERCEPT_PID_MAX)
			return -EINVAL;
	return intercept_compile(m->spec, &t, NULL, 0) < 0 ? -EINVAL : 0;
}

static int intercept_valid_ok(const Snare__Redirector__Ok *m)
{
	if (m->tun_name != NULL && !intercept_printable(m->tun_name, INTERCEPT_TUN_NAME_MAX, false))
		return -EINVAL;
	if (m->description != NULL &&
	    !intercept_printable(m->description, INTERCEPT_DESC_MAX, true))
		return -EINVAL;
	return 0;
}

/* One envelope's body; a reply's own seq must match the envelope's. */
static int intercept_validate(enum intercept_dir dir, const ProtobufCMessage *env, size_t ok_fds,
			      size_t nfds)
{
	if (dir == INTERCEPT_TO_HELPER) {
		const Snare__Redirector__CoordToRedirector *e = (const void *)env;

		if (nfds != 0)
			return -EINVAL;
		if (e->body_case == C2R(SET_INTERCEPT))
			return intercept_valid_set(e->set_intercept);
		return 0;
	}
	const Snare__Redirector__RedirectorToCoord *r = (const void *)env;

	if (r->body_case == R2C(OK))
		return !r->ok->has_seq || r->ok->seq != r->seq || nfds != ok_fds
			   ? -EINVAL
			   : intercept_valid_ok(r->ok);
	return !r->error->has_seq || r->error->seq != r->seq || nfds != 0 ||
		       !intercept_printable(r->error->message, INTERCEPT_ERROR_MAX, false)
		   ? -EINVAL
		   : 0;
}

static void intercept_env_parts(enum intercept_dir dir, const ProtobufCMessage *env,
				struct intercept_msg *m, bool *has_seq,
				const ProtobufCMessage **body)
{
	if (dir == INTERCEPT_TO_HELPER) {
		const Snare__Redirector__CoordToRedirector *e = (const void *)env;

		m->body_case = (int)e->body_case;
		*has_seq = e->has_seq;
		m->seq = e->seq;
		*body = (const ProtobufCMessage *)e->set_intercept; /* the oneof's union */
	} else {
		const Snare__Redirector__RedirectorToCoord *e = (const void *)env;

		m->body_case = (int)e->body_case;
		*has_seq = e->has_seq;
		m->seq = e->seq;
		*body = (const ProtobufCMessage *)e->ok;
	}
	if (m->body_case == 0)
		*body = NULL;
}

int intercept_decode(enum intercept_dir dir, enum intercept_state state, size_t ok_fds,
		     const uint8_t *buf, size_t len, size_t nfds, struct intercept_msg *out)
{
	const ProtobufCMessage *body = NULL;
	ProtobufCMessage *env = NULL;
	struct intercept_msg m = {0};
	bool has_seq = false;
	int rc = -EBADMSG;

	if ((unsigned)dir >= INTERCEPT_DIR_COUNT)
		return -EINVAL;
	if (len > INTERCEPT_MAX_FRAME)
		return -EMSGSIZE;
	if (len == 0)
		return -EBADMSG;
	env = protobuf_c_message_unpack(intercept_envelopes[dir], NULL, len, buf);
	if (env == NULL)
		goto out;
	intercept_env_parts(dir, env, &m, &has_seq, &body);
	if (!has_seq || body == NULL || env->n_unknown_fields != 0 || body->n_unknown_fields != 0)
		goto out;
	rc = -EPERM;
	if (!intercept_authorized(dir, m.body_case, state))
		goto out;
	rc = -EINVAL;
	if (intercept_validate(dir, env, ok_fds, nfds) < 0)
		goto out;
	m.msg = env;
	*out = m;
	env = NULL;
	rc = 0;
out:
	if (env != NULL)
		protobuf_c_message_free_unpacked(env, NULL);
	return rc;
}

void intercept_msg_free(struct intercept_msg *m)
{
	if (m->msg != NULL)
		protobuf_c_message_free_unpacked(m->msg, NULL);
	m->msg = NULL;
}
