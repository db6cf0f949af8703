/* One receive pipeline for every channel snare speaks: the IPC channels
 * between roles (ipc.proto), the helper channel (helper.proto) and the
 * redirector channel (redirector.proto).  A channel is described once, by a
 * struct chan_desc: its envelopes (one per direction), its frame cap and one
 * rule per message a direction may carry (who may send it in which receiver
 * state, what its body is, how it is validated).  chan_decode runs the same
 * steps for all of them:
 *
 *   size cap -> unpack -> no unknown fields, a body (and, for strict
 *   channels, a seq) -> a rule for (direction, case) allowing the receiver's
 *   state -> the body's type -> the rule's validator
 *
 * and the receiver then looks the message up in its own handler table (for
 * the IPC channels, struct ipc_handler in ipc.h); a permitted message the
 * receiver has no handler for is a violation.
 * Trusts nothing in the bytes: the direction they came on picks the
 * envelope and the rules; the sender is the direction, never a field. */
#ifndef SNARE_IPC_CHAN_H
#define SNARE_IPC_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include <protobuf-c/protobuf-c.h>

/* What a validator may look at besides the body: the receiver's context
 * (channel specific, may be NULL), the number of fds attached and the
 * envelope's seq (0 when absent). */
struct chan_in {
	const void *ctx;
	size_t nfds;
	uint64_t seq;
};

typedef bool (*chan_validate_fn)(const ProtobufCMessage *body, const struct chan_in *in);

/* One message a direction may carry: the authorisation (states, a bit set
 * of the receiver's states) and the validation in one row. */
struct chan_rule {
	unsigned dir;
	int body_case;
	unsigned states;
	const char *name; /* the oneof member, for messages */
	const ProtobufCMessageDescriptor *body;
	chan_validate_fn validate;
};

#define CHAN_STRICT 1u /* envelopes need a seq; bodies may not carry unknown fields */

struct chan_desc {
	const char *name;
	const ProtobufCMessageDescriptor *const *envelopes; /* indexed by direction */
	unsigned ndirs;
	unsigned nstates;
	size_t max_frame;
	unsigned flags;
	const struct chan_rule *rules;
	size_t nrules;
};

/* One decoded message; env is owned until chan_msg_free. */
struct chan_msg {
	unsigned dir;
	ProtobufCMessage *env;
	int body_case;
	uint64_t seq;
	const struct chan_rule *rule;
};

/* The pipeline.  0, or -EINVAL (no such direction, or failed validation),
 * -EMSGSIZE (over the cap), -EBADMSG (garbage, unknown fields, no body, or
 * no seq on a strict channel), -EPERM (no rule, or not in this state).
 * Nothing is kept on error.  Does not touch fds. */
int chan_decode(const struct chan_desc *d, unsigned dir, unsigned state, const void *ctx,
		const uint8_t *buf, size_t len, size_t nfds, struct chan_msg *out) SNARE_MUST_CHECK;
void chan_msg_free(struct chan_msg *m);

/* The rule for (dir, body_case), or NULL. */
const struct chan_rule *chan_rule(const struct chan_desc *d, unsigned dir, int body_case);
bool chan_authorized(const struct chan_desc *d, unsigned dir, int body_case, unsigned state);
/* The validation step on its own (for senders checking their own requests,
 * and tests): env must be the direction's envelope carrying body_case. */
int chan_validate(const struct chan_desc *d, unsigned dir, const ProtobufCMessage *env,
		  int body_case, const void *ctx, size_t nfds);
const char *chan_case_name(const struct chan_desc *d, unsigned dir, int body_case);
/* Packs an envelope: the packed length, or -EMSGSIZE over cap or the frame cap. */
int chan_pack(const struct chan_desc *d, const ProtobufCMessage *env, uint8_t *buf, size_t cap);

/* Generic access to any envelope (through its descriptor): the oneof case
 * (0 when not set), the body (NULL when not set), the seq (field 1). */
int chan_env_case(const ProtobufCMessage *env);
const ProtobufCMessage *chan_env_body(const ProtobufCMessage *env);
uint64_t chan_env_seq(const ProtobufCMessage *env, bool *has);
void chan_env_set_seq(ProtobufCMessage *env, uint64_t seq);

#endif
