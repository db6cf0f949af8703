/* The authorization table of the helper channel: which message may arrive in
 * which receiver state.  Runs in helpers (requests from the coordinator) and
 * in the coordinator (replies from a helper) before validation; a frame that
 * is not in this table is a protocol violation.
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
#include "privsep/privsep_proto.h"

#define ST(s) (1u << PRIVSEP_ST_##s)

struct privsep_auth_rule {
	enum privsep_dir dir;
	int body_case;
	unsigned states; /* bit set of enum privsep_state */
};

static const struct privsep_auth_rule privsep_auth_table[] = {
    {PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_HELLO, ST(HELLO)},
    {PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_NETFILTER_REDIRECT, ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_NETFILTER_TPROXY_UDP, ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_BIND_PORT, ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_CREATE_TUN, ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, SNARE__HELPER__COORD_TO_HELPER__BODY_UNDO, ST(READY)},

    {PRIVSEP_HELPER_TO_COORD, SNARE__HELPER__HELPER_TO_COORD__BODY_HELLO, ST(HELLO)},
    {PRIVSEP_HELPER_TO_COORD, SNARE__HELPER__HELPER_TO_COORD__BODY_OK, ST(WAITING)},
    {PRIVSEP_HELPER_TO_COORD, SNARE__HELPER__HELPER_TO_COORD__BODY_ERROR, ST(WAITING)},
};

bool privsep_authorized(enum privsep_dir dir, int body_case, enum privsep_state state)
{
	size_t i;

	if ((unsigned)state >= PRIVSEP_ST_COUNT || (unsigned)dir >= PRIVSEP_DIR_COUNT)
		return false;
	for (i = 0; i < ARRAY_SIZE(privsep_auth_table); i++) {
		const struct privsep_auth_rule *r = &privsep_auth_table[i];

		if (r->dir == dir && r->body_case == body_case)
			return (r->states & (1u << state)) != 0;
	}
	return false;
}
