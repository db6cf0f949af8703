/* The ca's seccomp list.  The ca holds the CA private key and talks only to
 * the coordinator and the workers over SEQPACKET channels it was given, so it
 * gets the base set plus socket options on those channels (buffer sizes,
 * SOL_SOCKET only): no socket, connect or accept (killed), no files
 * (EACCES), no executable memory. */
#include <sys/socket.h>

#include "seccomp_rules.h"

/* clang-format off */
static const struct sandbox_rule ca_chan_rules[] = {
	SB_ARG_EQ(getsockopt, 1, SOL_SOCKET),
	SB_ARG_EQ(setsockopt, 1, SOL_SOCKET),
};
/* clang-format on */
SB_SET(sandbox_set_ca_chan, ca_chan_rules);

const struct sandbox_policy sandbox_policy_ca = {
    .role = "ca",
    .sets = {&sandbox_set_base, &sandbox_set_noexec, &sandbox_set_self_signals, &sandbox_set_probes,
	     &sandbox_set_ca_chan, NULL},
};
