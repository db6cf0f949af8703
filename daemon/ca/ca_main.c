/* The ca role.  Holds the CA private key (non-dumpable, no network, its own
 * seccomp list) and signs leaf certificates for the one public key each
 * worker registers (ca_peer.c).  Trusts the coordinator's channel for
 * configuration only; worker requests are validated by ipc/, bounded (at
 * most CERTS_MAX_SANS names) and rate-limited per worker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "core/errf.h"
#include "core/log.h"
#include "sandbox.h"

static struct ca_role *ca_global; /* for the log sink */

static void ca_log_sink(enum log_level lvl, const char *client, const char *msg)
{
	if (ca_global == NULL || ca_global->coord.closed)
		log_print(lvl, client, msg);
	else
		(void)ipc_log_send(&ca_global->coord, (int)lvl, client, msg);
}

static void ca_ready(struct ca_role *ca)
{
	Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;
	Snare__CaReady r = SNARE__CA_READY__INIT;

	r.has_ca_cert_der = 1;
	r.ca_cert_der.data = ca->store.cert_der;
	r.ca_cert_der.len = ca->store.cert_der_len;
	env.body_case = SNARE__CA_TO_COORD__BODY_READY;
	env.ready = &r;
	(void)ipc_chan_send(&ca->coord, &env.base, NULL, 0);
}

static void ca_configure(struct ca_role *ca, const Snare__CaConfig *cfg)
{
	char err[512];
	const char *user = cfg->user && *cfg->user ? cfg->user : "nobody";

	if (ca_store_load_or_create(cfg->confdir, (int)cfg->key_size, &ca->store, err,
				    sizeof(err)) < 0) {
		/* Straight to stderr: a line still queued on the channel could
		 * be lost when the coordinator stops on our exit. */
		log_set_sink(NULL);
		log_error("%s", err);
		exit(1);
	}
	ca->have_store = true;
	ca->sign_burst = CA_SIGN_BURST;
	ca->sign_rate = CA_SIGN_RATE;
#ifdef SNARE_TEST_HOOKS
	if (cfg->has_test_sign_burst)
		ca->sign_burst = cfg->test_sign_burst;
	if (cfg->has_test_sign_rate)
		ca->sign_rate = cfg->test_sign_rate;
#endif
	if (sandbox_startup(&(struct sandbox_plan){.role = SANDBOX_CA, .user = user}, err,
			    sizeof(err)) < 0) {
		log_error("%s", err);
		exit(1);
	}
	ca->coord.state = IPC_ST_RUNNING;
	ca_ready(ca);
}

static void ca_on_config(struct ipc_chan *ch, struct ipc_frame *f)
{
	ca_configure(ch->arg, ((Snare__CoordToCa *)f->msg)->config);
}

static void ca_on_attach(struct ipc_chan *ch, struct ipc_frame *f)
{
	ca_peer_attach(ch->arg, f);
}

static void ca_on_shutdown(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ca_role *ca = ch->arg;

	loop_stop(ca->loop);
}

/* What the ca does with each message the coordinator may send (the
 * COORD_TO_CA rows of ipc_validate.c say in which states). */
static const struct ipc_handler ca_coord_handlers[] = {
    {SNARE__COORD_TO_CA__BODY_ATTACH_WORKER, ca_on_attach},
    {SNARE__COORD_TO_CA__BODY_CONFIG, ca_on_config},
    {SNARE__COORD_TO_CA__BODY_SHUTDOWN, ca_on_shutdown},
};

static void ca_on_coord_close(struct ipc_chan *ch, int err)
{
	struct ca_role *ca = ch->arg;

	loop_stop(ca->loop);
}

static int ca_hello(struct ca_role *ca)
{
	Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;
	Snare__Hello h;

	ipc_hello_fill(&h);
	env.body_case = SNARE__CA_TO_COORD__BODY_HELLO;
	env.hello = &h;
	return ipc_chan_send(&ca->coord, &env.base, NULL, 0);
}

int ca_main(void)
{
	struct ca_role ca = {0};

	snare_progname = "snare-ca";
	/* Before the key is read: no core dump, no ptrace by the same user. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		fatal_err(-errno, "ca: cannot make the process non-dumpable");
	ca.loop = loop_new();
	if (ca.loop == NULL || ipc_chan_init(&ca.coord, ca.loop, 3, IPC_CH_COORD_TO_CA, NULL,
					     ca_on_coord_close, &ca) < 0)
		fatal("cannot set up the ca's channel");
	ipc_chan_handlers(&ca.coord, ca_coord_handlers, ARRAY_SIZE(ca_coord_handlers));
	ca.coord.state = IPC_ST_CONFIG;
	ca_global = &ca;
	log_set_sink(ca_log_sink);
	if (ca_hello(&ca) < 0)
		return 1;
	loop_run(ca.loop);
	ca_peer_free_all(&ca);
	ca_global = NULL;
	ipc_chan_close(&ca.coord);
	if (ca.have_store)
		ca_store_free(&ca.store);
	loop_free(ca.loop);
	return 0;
}
