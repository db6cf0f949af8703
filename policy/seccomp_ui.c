/* The ui's seccomp list (the web interface, snare-web).  The ui serves HTTP
 * and WebSocket to a browser on the one listening socket the coordinator
 * gave it, and keeps flows in the spill file it was given; browsers are
 * untrusted peers.  So it may accept connections on that socket and move
 * bytes on them, append to and read back its file (write, lseek, pread64),
 * and use memory.  No new sockets, no connect, no files (EACCES), no
 * processes, no executable memory.  It runs under the spawner's list too
 * (it is started by the spawner), which is why it appends with write rather
 * than pwrite64. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "seccomp_rules.h"

/* clang-format off */
static const struct sandbox_rule ui_serve_rules[] = {
	SB_ALLOW(accept4),
	SB_ALLOW(shutdown),
	SB_ALLOW(sendto),
	SB_ALLOW(recvfrom),
	SB_ALLOW(getsockname),
	SB_ARG_EQ(getsockopt, 1, SOL_SOCKET),
	SB_ARG_EQ(setsockopt, 1, SOL_SOCKET),
	SB_ARG_EQ(setsockopt, 1, IPPROTO_TCP),
	SB_ALLOW(pread64),
	SB_ALLOW(lseek),
};
/* clang-format on */
static SB_SET(ui_serve, ui_serve_rules);

const struct sandbox_policy sandbox_policy_ui = {
    .role = "ui",
    .sets = {&sandbox_set_base, &sandbox_set_noexec, &sandbox_set_self_signals, &sandbox_set_probes,
	     &ui_serve, NULL},
};
