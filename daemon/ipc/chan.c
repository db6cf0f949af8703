/* The one receive pipeline (chan.h) behind ipc_decode, privsep_decode and
 * intercept_decode.
 * Trusts nothing in the bytes; trusts the descriptor (a constant table
 * compiled into the receiver). */
#include "ipc/chan.h"

#include <errno.h>

/* The first member of the envelope's oneof (all members share its offsets). */
static const ProtobufCFieldDescriptor *chan_env_oneof(const ProtobufCMessageDescriptor *d)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			return &d->fields[i];
	return NULL;
}

int chan_env_case(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f = chan_env_oneof(env->descriptor);

	if (f == NULL)
		return 0;
	return (int)*(const uint32_t *)((const char *)env + f->quantifier_offset);
}

const ProtobufCMessage *chan_env_body(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f;
	int body_case = chan_env_case(env);

	if (body_case <= 0)
		return NULL;
	f = protobuf_c_message_descriptor_get_field(env->descriptor, (unsigned)body_case);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return NULL;
	return *(ProtobufCMessage *const *)((const char *)env + f->offset);
}

static const ProtobufCFieldDescriptor *chan_env_seq_field(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(env->descriptor, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_UINT64 || f->label != PROTOBUF_C_LABEL_OPTIONAL)
		fatal("chan: %s has no seq field", env->descriptor->name);
	return f;
}

uint64_t chan_env_seq(const ProtobufCMessage *env, bool *has)
{
	const ProtobufCFieldDescriptor *f = chan_env_seq_field(env);

	if (has != NULL)
		*has = *(const protobuf_c_boolean *)((const char *)env + f->quantifier_offset);
	return *(const uint64_t *)((const char *)env + f->offset);
}

void chan_env_set_seq(ProtobufCMessage *env, uint64_t seq)
{
	const ProtobufCFieldDescriptor *f = chan_env_seq_field(env);

	*(uint64_t *)((char *)env + f->offset) = seq;
	*(protobuf_c_boolean *)((char *)env + f->quantifier_offset) = 1;
}

int chan_pack(const struct chan_desc *d, const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(env);

	if (n > cap || n > d->max_frame)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(env, buf);
}

const struct chan_rule *chan_rule(const struct chan_desc *d, unsigned dir, int body_case)
{
	for (size_t i = 0; i < d->nrules; i++)
		if (d->rules[i].dir == dir && d->rules[i].body_case == body_case)
			return &d->rules[i];
	return NULL;
}

bool chan_authorized(const struct chan_desc *d, unsigned dir, int body_case, unsigned state)
{
	const struct chan_rule *r;

	if (dir >= d->ndirs || state >= d->nstates)
		return false;
	r = chan_rule(d, dir, body_case);
	return r != NULL && (r->states & (1u << state)) != 0;
}

const char *chan_case_name(const struct chan_desc *d, unsigned dir, int body_case)
{
	const struct chan_rule *r = chan_rule(d, dir, body_case);

	return r != NULL ? r->name : "?";
}

/* The body's type and the rule's validator: 0 or -EINVAL. */
static int chan_check(const struct chan_rule *r, const ProtobufCMessage *body,
		      const struct chan_in *in)
{
	if (body == NULL || body->descriptor != r->body)
		return -EINVAL;
	return r->validate(body, in) ? 0 : -EINVAL;
}

int chan_validate(const struct chan_desc *d, unsigned dir, const ProtobufCMessage *env,
		  int body_case, const void *ctx, size_t nfds)
{
	const struct chan_rule *r;
	struct chan_in in = {.ctx = ctx, .nfds = nfds};

	if (dir >= d->ndirs || env == NULL || env->descriptor != d->envelopes[dir] ||
	    chan_env_case(env) != body_case)
		return -EINVAL;
	r = chan_rule(d, dir, body_case);
	if (r == NULL)
		return -EINVAL;
	in.seq = chan_env_seq(env, NULL);
	return chan_check(r, chan_env_body(env), &in);
}

/* Unpack, no unknown fields, a body (and a seq): 0 or -EBADMSG. */
static int chan_unpack(const struct chan_desc *d, unsigned dir, const uint8_t *buf, size_t len,
		       struct chan_msg *m, const ProtobufCMessage **body)
{
	bool has_seq;

	m->env = protobuf_c_message_unpack(d->envelopes[dir], NULL, len, buf);
	if (m->env == NULL)
		return -EBADMSG;
	m->body_case = chan_env_case(m->env);
	m->seq = chan_env_seq(m->env, &has_seq);
	*body = chan_env_body(m->env);
	/* Fields unknown to this build mean a peer we do not speak with. */
	if (m->env->n_unknown_fields != 0 || *body == NULL)
		return -EBADMSG;
	if ((d->flags & CHAN_STRICT) && (!has_seq || (*body)->n_unknown_fields != 0))
		return -EBADMSG;
	return 0;
}

int chan_decode(const struct chan_desc *d, unsigned dir, unsigned state, const void *ctx,
		const uint8_t *buf, size_t len, size_t nfds, struct chan_msg *out)
{
	struct chan_msg m = {.dir = dir};
	const ProtobufCMessage *body = NULL;
	int rc;

	if (dir >= d->ndirs)
		return -EINVAL;
	if (len > d->max_frame)
		return -EMSGSIZE;
	if (len == 0)
		return -EBADMSG;
	rc = chan_unpack(d, dir, buf, len, &m, &body);
	if (rc == 0) {
		m.rule = chan_rule(d, dir, m.body_case);
		if (m.rule == NULL || state >= d->nstates || !(m.rule->states & (1u << state)))
			rc = -EPERM;
	}
	if (rc == 0)
		rc = chan_check(m.rule, body, &(struct chan_in){ctx, nfds, m.seq});
	if (rc < 0) {
		chan_msg_free(&m);
		return rc;
	}
	*out = m;
	return 0;
}

void chan_msg_free(struct chan_msg *m)
{
	if (m->env != NULL)
		protobuf_c_message_free_unpacked(m->env, NULL);
	m->env = NULL;
}
