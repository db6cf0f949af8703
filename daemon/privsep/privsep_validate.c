/* validate_<msg>(): one check per helper-channel message, run by the helper
 * (requests) and the coordinator (replies) after authorization.  Trusts only
 * that protobuf-c unpacked the frame: sub-messages and strings may be NULL,
 * counts and values are whatever the sender chose, and so is the number of
 * fds attached. */
#include "privsep/privsep_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define PROTO_TCP SNARE__HELPER__PROTO__PROTO_TCP
#define PROTO_UDP SNARE__HELPER__PROTO__PROTO_UDP

static bool bounded_string(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, max + 1);
	return n >= min && n <= max;
}

bool privsep_valid_helper_name(const char *name)
{
	const char *p;

	if (!bounded_string(name, 1, PRIVSEP_NAME_MAX))
		return false;
	for (p = name; *p != '\0'; p++)
		if (*p < 'a' || *p > 'z')
			return false;
	return true;
}

static bool valid_ifname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

bool privsep_valid_ifname(const char *name)
{
	const char *p;

	if (!bounded_string(name, 1, PRIVSEP_IFNAME_MAX))
		return false;
	for (p = name; *p != '\0'; p++)
		if (!valid_ifname_char(*p))
			return false;
	/* The kernel refuses "." and ".." as device names. */
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

bool privsep_valid_tun_name(const char *name)
{
	size_t n, i;

	if (!bounded_string(name, 1, PRIVSEP_IFNAME_MAX))
		return false;
	n = strlen(name);
	if (n < 3 || strcmp(name + n - 2, "%d") != 0)
		return privsep_valid_ifname(name);
	/* The kernel's template: a non-empty prefix, then one "%d" (the
	 * number it picks must fit, so the prefix has at most 13). */
	for (i = 0; i < n - 2; i++)
		if (!valid_ifname_char(name[i]))
			return false;
	return true;
}

static bool valid_port(uint32_t port)
{
	return port >= 1 && port <= 65535;
}

/* 1..PRIVSEP_MAX_PORTS ports, each valid, no repeats. */
static bool valid_ports(const uint32_t *ports, size_t n)
{
	size_t i, j;

	if (n < 1 || n > PRIVSEP_MAX_PORTS)
		return false;
	for (i = 0; i < n; i++) {
		if (!valid_port(ports[i]))
			return false;
		for (j = 0; j < i; j++)
			if (ports[j] == ports[i])
				return false;
	}
	return true;
}

static bool valid_ifaces(char *const *names, size_t n)
{
	size_t i, j;

	if (n > PRIVSEP_MAX_IFACES)
		return false;
	for (i = 0; i < n; i++) {
		if (!privsep_valid_ifname(names[i]))
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				return false;
	}
	return true;
}

#define PCTX(in) ((const struct privsep_ctx *)(in)->ctx)

static bool validate_hello(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__Hello *m = (const Snare__Helper__Hello *)body;

	if (in->nfds != 0 || !m->has_version || m->version != PRIVSEP_PROTOCOL_VERSION)
		return false;
	if (!privsep_valid_helper_name(m->helper))
		return false;
	return PCTX(in)->helper_name == NULL || strcmp(PCTX(in)->helper_name, m->helper) == 0;
}

static bool validate_netfilter_redirect(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__NetfilterRedirect *m = (const Snare__Helper__NetfilterRedirect *)body;

	if (in->nfds != 0 || !m->has_proto || m->proto != PROTO_TCP)
		return false;
	if (!valid_ports(m->ports, m->n_ports) || !valid_ifaces(m->interfaces, m->n_interfaces))
		return false;
	if (!m->has_to_port || !valid_port(m->to_port))
		return false;
	/* Only root may name another uid to exclude (it is root: this grants
	 * nothing), and only for the output chain it applies to. */
	if (m->has_exclude_uid &&
	    (PCTX(in)->peer_uid != 0 || !m->include_local || m->exclude_uid == (uint32_t)-1))
		return false;
	return true;
}

static bool validate_netfilter_tproxy_udp(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__NetfilterTproxyUdp *m =
	    (const Snare__Helper__NetfilterTproxyUdp *)body;

	if (in->nfds != 0 || !valid_ports(m->ports, m->n_ports) ||
	    !valid_ifaces(m->interfaces, m->n_interfaces))
		return false;
	if (!m->has_to_port || !valid_port(m->to_port))
		return false;
	return m->has_mark && m->mark != 0;
}

static bool valid_address(const char *s)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (!bounded_string(s, 2, PRIVSEP_ADDR_MAX))
		return false;
	return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

static bool validate_bind_port(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__BindPort *m = (const Snare__Helper__BindPort *)body;

	if (in->nfds != 0 || !m->has_proto || (m->proto != PROTO_TCP && m->proto != PROTO_UDP))
		return false;
	if (!m->has_port || m->port < 1 || m->port > 1023)
		return false;
	return valid_address(m->address);
}

/* The name is optional (the helper uses "tun%d"); so is the MTU (1500). */
static bool validate_create_tun(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__CreateTun *m = (const Snare__Helper__CreateTun *)body;

	if (in->nfds != 0)
		return false;
	if (m->name != NULL && !privsep_valid_tun_name(m->name))
		return false;
	return !m->has_mtu || (m->mtu >= PRIVSEP_TUN_MTU_MIN && m->mtu <= PRIVSEP_TUN_MTU_MAX);
}

static bool validate_undo(const ProtobufCMessage *body, const struct chan_in *in)
{
	return in->nfds == 0;
}

static bool validate_ok(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__Ok *m = (const Snare__Helper__Ok *)body;

	return m->has_seq && in->nfds == PCTX(in)->ok_fds;
}

static bool validate_error(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__Helper__Error *m = (const Snare__Helper__Error *)body;
	const char *p;

	if (in->nfds != 0 || !m->has_seq || !bounded_string(m->message, 1, PRIVSEP_ERROR_MAX))
		return false;
	for (p = m->message; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* The helper channel's table: which message may arrive in which receiver
 * state, its body and its validator.  Runs in helpers (requests from the
 * coordinator) and in the coordinator (replies from a helper) through
 * chan_decode; a frame that is not in this table is a protocol violation.
 *
 *   direction (receiver)      body case               allowed receiver states
 *   COORD_TO_HELPER (helper)  hello                   HELLO
 *                             netfilter_redirect,     READY
 *                             netfilter_tproxy_udp,
 *                             bind_port, create_tun,
 *                             undo
 *   HELPER_TO_COORD (coord)   hello                   HELLO
 *                             ok, error               WAITING (a request is out)
 */
#define ST(s) (1u << PRIVSEP_ST_##s)
#define C2H(c) PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_##c
#define H2C(c) PRIVSEP_HELPER_TO_COORD, SNARE__HELPER__HELPER_TO_COORD__BODY_##c
#define D(m) &snare__helper__##m##__descriptor

static const struct chan_rule privsep_rules[] = {
    {C2H(HELLO), ST(HELLO), "hello", D(hello), validate_hello},
    {C2H(NETFILTER_REDIRECT), ST(READY), "netfilter_redirect", D(netfilter_redirect),
     validate_netfilter_redirect},
    {C2H(NETFILTER_TPROXY_UDP), ST(READY), "netfilter_tproxy_udp", D(netfilter_tproxy_udp),
     validate_netfilter_tproxy_udp},
    {C2H(BIND_PORT), ST(READY), "bind_port", D(bind_port), validate_bind_port},
    {C2H(CREATE_TUN), ST(READY), "create_tun", D(create_tun), validate_create_tun},
    {C2H(UNDO), ST(READY), "undo", D(undo), validate_undo},
    {H2C(HELLO), ST(HELLO), "hello", D(hello), validate_hello},
    {H2C(OK), ST(WAITING), "ok", D(ok), validate_ok},
    {H2C(ERROR), ST(WAITING), "error", D(error), validate_error},
};

static const ProtobufCMessageDescriptor *const privsep_envelopes[PRIVSEP_DIR_COUNT] = {
    [PRIVSEP_COORD_TO_HELPER] = &snare__helper__coord_to_helper__descriptor,
    [PRIVSEP_HELPER_TO_COORD] = &snare__helper__helper_to_coord__descriptor,
};

const struct chan_desc privsep_chan = {
    .name = "helper",
    .envelopes = privsep_envelopes,
    .ndirs = PRIVSEP_DIR_COUNT,
    .nstates = PRIVSEP_ST_COUNT,
    .max_frame = PRIVSEP_MAX_FRAME,
    .flags = CHAN_STRICT,
    .rules = privsep_rules,
    .nrules = ARRAY_SIZE(privsep_rules),
};

const char *privsep_case_name(enum privsep_dir dir, int body_case)
{
	return chan_case_name(&privsep_chan, (unsigned)dir, body_case);
}

bool privsep_authorized(enum privsep_dir dir, int body_case, enum privsep_state state)
{
	return chan_authorized(&privsep_chan, (unsigned)dir, body_case, (unsigned)state);
}

int privsep_validate(enum privsep_dir dir, const ProtobufCMessage *env, int body_case,
		     const struct privsep_ctx *ctx, size_t nfds)
{
	if (ctx == NULL)
		return -EINVAL;
	return chan_validate(&privsep_chan, (unsigned)dir, env, body_case, ctx, nfds);
}
