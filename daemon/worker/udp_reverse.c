/* Runs in a worker (worker 0 only): reverse:udp://host:port.  Resolves the
 * targets of reverse udp:// and dtls:// modes before the sandbox; the peers
 * themselves (raw UDP relayed unchanged, DTLS clients autodetected and
 * terminated) live in dtls_reverse.c.  Trusts only its configuration. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "worker/dtls_reverse.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

static union sockaddr_any *targets; /* per mode index, resolved at start-up */

static int udp_resolve(const struct mode_spec *m, union sockaddr_any *out)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *res;
	char port[8];

	if (addr_parse_ip(m->server.host, m->server.port, out) == 0)
		return 0;
	snprintf(port, sizeof(port), "%u", m->server.port);
	if (getaddrinfo(m->server.host, port, &hints, &res) != 0 || res == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Resolves every reverse udp:// target; called before the sandbox (names
 * may need files).  0, or -ENOENT naming nothing resolvable. */
int udp_reverse_prepare(void)
{
	size_t i;

	targets = xcalloc(wk->nmodes ? wk->nmodes : 1, sizeof(*targets));
	for (i = 0; i < wk->nmodes; i++) {
		const struct mode_spec *m = &wk->modes[i];

		enum scheme_dgram d = modespec_scheme_of(m)->dgram;

		if (d != SCHEME_DGRAM_UDP && d != SCHEME_DGRAM_DTLS && d != SCHEME_DGRAM_QUIC &&
		    d != SCHEME_DGRAM_HTTP3)
			continue;
		if (udp_resolve(m, &targets[i]) < 0) {
			log_error("reverse %s: cannot resolve %s", m->server.scheme,
				  m->server.host);
			return -ENOENT;
		}
	}
	return 0;
}

/* The resolved target of a reverse udp://, dtls:// or quic:// mode. */
int udp_reverse_target(unsigned mode_index, union sockaddr_any *out)
{
	if (targets == NULL || mode_index >= wk->nmodes || targets[mode_index].sa.sa_family == 0)
		return -ENOENT;
	*out = targets[mode_index];
	return 0;
}

/* Every client address is a peer of dtls_reverse.c, which relays raw UDP
 * and terminates DTLS clients alike. */
void udp_reverse_readable(struct worker_listener *l)
{
	dtls_reverse_readable(l);
}

/* The peers end in dtls_reverse_stop(); only the targets are left. */
void udp_reverse_stop(void)
{
	free(targets);
	targets = NULL;
}
