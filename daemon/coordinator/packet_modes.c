/* Runs in the coordinator before privileges are dropped: TUN devices for
 * `--mode tun[:name]`, created by the snare-tun helper (directly when root,
 * through sudo otherwise) and handed to worker 0 as packet listeners.  The
 * helper stays connected: when snare exits or dies it deletes the devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "core/log.h"

#define TUN_MTU 1500

static int open_tun(struct coord *co, unsigned idx)
{
	const struct mode_spec *m = &co->cli->modes[idx];
	struct coord_listener *l;
	char err[512], ifname[32];
	int fd = -1, r;

	if (co->tun_helper == NULL &&
	    privsep_launch("tun", &co->tun_helper, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -EPERM;
	}
	r = privsep_tun_create(co->tun_helper, m->data && *m->data ? m->data : NULL, TUN_MTU,
			       ifname, sizeof(ifname), &fd, err, sizeof(err));
	if (r < 0) {
		log_error("cannot create the TUN interface: %s", err);
		return r;
	}
	log_info("TUN interface created: %s", ifname);
	co->listeners = xrealloc(co->listeners, (co->nlisteners + 1) * sizeof(*l));
	l = &co->listeners[co->nlisteners++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->mode_index = idx;
	l->packet = true;
	return 0;
}

int coord_open_packet_modes(struct coord *co)
{
	size_t i;
	int err;

	for (i = 0; i < co->cli->nmodes; i++)
		if (co->cli->modes[i].kind == MODE_TUN && (err = open_tun(co, (unsigned)i)) < 0)
			return err;
	return 0;
}

void coord_close_helpers(struct coord *co)
{
	if (co->tun_helper) {
		privsep_close(co->tun_helper);
		co->tun_helper = NULL;
	}
	if (co->nf_helper) {
		privsep_close(co->nf_helper);
		co->nf_helper = NULL;
	}
}
