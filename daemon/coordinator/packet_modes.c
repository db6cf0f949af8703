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
	coord_listener_add(co, fd, idx)->packet = true;
	return 0;
}

/* snare's own processes, never captured by the local redirector. */
static size_t own_pids(struct coord *co, uint32_t *pids, size_t max)
{
	size_t i, n = 0;

	pids[n++] = (uint32_t)getpid();
	if (co->spawner_pid > 0 && n < max)
		pids[n++] = (uint32_t)co->spawner_pid;
	if (co->ca.pid > 0 && n < max)
		pids[n++] = (uint32_t)co->ca.pid;
	for (i = 0; i < co->nworkers && n < max; i++)
		if (co->workers[i].pid > 0)
			pids[n++] = (uint32_t)co->workers[i].pid;
	return n;
}

/* (Re)sends the intercept spec with the current set of our own pids. */
int coord_local_update(struct coord *co)
{
	uint32_t pids[64];
	char err[512], desc[256];
	size_t n;

	if (co->redir_helper == NULL)
		return 0;
	n = own_pids(co, pids, ARRAY_SIZE(pids));
	if (intercept_client_set(&co->redir, co->local_spec, pids, n, desc, sizeof(desc), err,
				 sizeof(err)) < 0) {
		log_error("local redirector: %s", err);
		return -EIO;
	}
	return 0;
}

static int open_local(struct coord *co, unsigned idx)
{
	const struct mode_spec *m = &co->cli->modes[idx];
	char err[512], ifname[32];
	int fd = -1;

	if (privsep_launch("redirector", &co->redir_helper, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -EPERM;
	}
	intercept_client_init(&co->redir, privsep_fd(co->redir_helper));
	co->local_spec = m->data ? m->data : "";
	if (coord_local_update(co) < 0 ||
	    intercept_client_get_tun(&co->redir, &fd, ifname, err, sizeof(err)) < 0) {
		log_error("local redirector: %s", err);
		return -EIO;
	}
	log_debug("local redirector: TUN %s", ifname);
	if (intercept_client_proc_map(&co->redir, &co->procmap_fd, err, sizeof(err)) < 0) {
		log_warn("local redirector: no process map (%s); flows will not name processes",
			 err);
		co->procmap_fd = -1;
	}
	coord_listener_add(co, fd, idx)->packet = true;
	return 0;
}

int coord_open_packet_modes(struct coord *co)
{
	size_t i;
	int err;

	for (i = 0; i < co->cli->nmodes; i++) {
		enum mode_kind k = co->cli->modes[i].kind;

		if (k == MODE_TUN && (err = open_tun(co, (unsigned)i)) < 0)
			return err;
		if (k == MODE_LOCAL && (err = open_local(co, (unsigned)i)) < 0)
			return err;
	}
	return 0;
}

void coord_close_helpers(struct coord *co)
{
	if (co->tun_helper) {
		privsep_close(co->tun_helper);
		co->tun_helper = NULL;
	}
	if (co->redir_helper) {
		privsep_close(co->redir_helper);
		co->redir_helper = NULL;
	}
	if (co->nf_helper) {
		privsep_close(co->nf_helper);
		co->nf_helper = NULL;
	}
}
