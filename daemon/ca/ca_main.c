/* The ca role.  Holds the CA private key (non-dumpable, no network, its own
 * seccomp list) and signs leaf certificates for the public keys workers send.
 * Trusts the coordinator's channel for configuration only; worker requests
 * are validated by ipc/ and bounded (at most CERTS_MAX_SANS names). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ca/ca.h"
#include "certs/certs.h"
#include "core/log.h"
#include "ipc/ipc.h"
#include "sandbox.h"

#define CA_MAX_WORKERS 256

struct ca_peer {
	struct ipc_chan chan;
	bool open;
	struct ca_role *ca;
};

struct ca_role {
	struct loop *loop;
	struct ipc_chan coord;
	struct ca_store store;
	bool have_store;
	struct ca_peer *peers[CA_MAX_WORKERS];
};

static struct ca_role *ca_global; /* for the log sink */

static void ca_log_sink(enum log_level lvl, const char *client, const char *msg)
{
	Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;
	Snare__LogEvent ev;
	struct ipc_log_buf b;

	if (ca_global == NULL || ca_global->coord.closed) {
		log_print(lvl, client, msg);
		return;
	}
	ipc_log_event(&ev, &b, lvl, client, msg);
	env.body_case = SNARE__CA_TO_COORD__BODY_LOG;
	env.log = &ev;
	(void)ipc_chan_send(&ca_global->coord, &env.base, NULL, 0);
}

static void ca_send_info(struct ca_peer *p)
{
	Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;
	Snare__CaInfo info = SNARE__CA_INFO__INIT;
	const struct ca_store *s = &p->ca->store;

	info.has_ca_cert_der = info.has_ca_cert_pem = info.has_ca_cert_p12 = 1;
	info.ca_cert_der.data = s->cert_der;
	info.ca_cert_der.len = s->cert_der_len;
	info.ca_cert_pem.data = s->cert_pem;
	info.ca_cert_pem.len = s->cert_pem_len;
	info.ca_cert_p12.data = s->cert_p12;
	info.ca_cert_p12.len = s->cert_p12_len;
	env.body_case = SNARE__CA_TO_WORKER__BODY_INFO;
	env.info = &info;
	(void)ipc_chan_send(&p->chan, &env.base, NULL, 0);
}

static void ca_on_cert_request(struct ca_peer *p, uint64_t seq, const Snare__CertRequest *rq)
{
	Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;
	Snare__CertReply rep = SNARE__CERT_REPLY__INIT;
	uint8_t *der = NULL;
	size_t len = 0;

	if (ca_sign_leaf(&p->ca->store, rq->leaf_spki_der.data, rq->leaf_spki_der.len,
			 (const char *const *)rq->sans, rq->n_sans, rq->organization, &der,
			 &len) < 0) {
		rep.error = (char *)"cannot sign the leaf certificate";
	} else {
		rep.has_cert_der = 1;
		rep.cert_der.data = der;
		rep.cert_der.len = len;
	}
	env.has_seq = 1;
	env.seq = seq;
	env.body_case = SNARE__CA_TO_WORKER__BODY_CERT_REPLY;
	env.cert_reply = &rep;
	(void)ipc_chan_send(&p->chan, &env.base, NULL, 0);
	free(der);
}

static void ca_peer_on_frame(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ca_peer *p = ch->arg;
	Snare__WorkerToCa *m = (Snare__WorkerToCa *)f->msg;

	if (f->body_case == SNARE__WORKER_TO_CA__BODY_HELLO) {
		ch->state = IPC_ST_RUNNING;
		ca_send_info(p);
	} else if (f->body_case == SNARE__WORKER_TO_CA__BODY_CERT_REQUEST) {
		ca_on_cert_request(p, m->seq, m->cert_request);
	}
}

static void ca_peer_free(void *arg)
{
	free(arg);
}

static void ca_peer_on_close(struct ipc_chan *ch, int err)
{
	struct ca_peer *p = ch->arg;
	size_t i;

	if (err < 0 && err != -EPIPE && err != -ECONNRESET)
		log_warn("ca: a worker broke protocol (%s); dropping its channel", strerror(-err));
	ipc_chan_close(ch);
	for (i = 0; i < CA_MAX_WORKERS; i++)
		if (p->ca->peers[i] == p)
			p->ca->peers[i] = NULL;
	loop_defer_free(p->ca->loop, ca_peer_free, p);
}

static void ca_attach(struct ca_role *ca, struct ipc_frame *f)
{
	int fd = ipc_frame_take_fd(f, 0);
	struct ca_peer *p;
	size_t i;

	for (i = 0; i < CA_MAX_WORKERS && ca->peers[i]; i++)
		;
	if (fd < 0 || i == CA_MAX_WORKERS) {
		if (fd >= 0)
			close(fd);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->ca = ca;
	if (ipc_chan_init(&p->chan, ca->loop, fd, IPC_CH_WORKER_TO_CA, ca_peer_on_frame,
			  ca_peer_on_close, p) < 0) {
		close(fd);
		free(p);
		return;
	}
	p->chan.state = IPC_ST_HELLO;
	ca->peers[i] = p;
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
		log_error("%s", err);
		exit(1);
	}
	ca->have_store = true;
	if (sandbox_drop_user(user, err, sizeof(err)) < 0) {
		log_error("ca: %s", err);
		exit(1);
	}
	if (sandbox_drop_caps() < 0 || sandbox_enter(SANDBOX_CA) < 0) {
		log_error("ca: cannot enter the sandbox");
		exit(1);
	}
	ca->coord.state = IPC_ST_RUNNING;
	ca_ready(ca);
}

static void ca_on_coord_frame(struct ipc_chan *ch, struct ipc_frame *f)
{
	struct ca_role *ca = ch->arg;
	Snare__CoordToCa *m = (Snare__CoordToCa *)f->msg;

	switch (f->body_case) {
	case SNARE__COORD_TO_CA__BODY_CONFIG:
		ca_configure(ca, m->config);
		break;
	case SNARE__COORD_TO_CA__BODY_ATTACH_WORKER:
		ca_attach(ca, f);
		break;
	case SNARE__COORD_TO_CA__BODY_SHUTDOWN:
		loop_stop(ca->loop);
		break;
	default:
		break;
	}
}

static void ca_on_coord_close(struct ipc_chan *ch, int err)
{
	struct ca_role *ca = ch->arg;

	loop_stop(ca->loop);
}

static int ca_hello(struct ca_role *ca)
{
	Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;
	Snare__Hello h = SNARE__HELLO__INIT;

	h.has_version = h.has_pid = 1;
	h.version = IPC_PROTOCOL_VERSION;
	h.pid = (uint32_t)getpid();
	env.body_case = SNARE__CA_TO_COORD__BODY_HELLO;
	env.hello = &h;
	return ipc_chan_send(&ca->coord, &env.base, NULL, 0);
}

int ca_main(void)
{
	struct ca_role ca = {0};
	size_t i;

	snare_progname = "snare-ca";
	prctl(PR_SET_DUMPABLE, 0);
	ca.loop = loop_new();
	if (ca.loop == NULL || ipc_chan_init(&ca.coord, ca.loop, 3, IPC_CH_COORD_TO_CA,
					     ca_on_coord_frame, ca_on_coord_close, &ca) < 0)
		fatal("cannot set up the ca's channel");
	ca.coord.state = IPC_ST_CONFIG;
	ca_global = &ca;
	log_set_sink(ca_log_sink);
	if (ca_hello(&ca) < 0)
		return 1;
	loop_run(ca.loop);
	for (i = 0; i < CA_MAX_WORKERS; i++)
		if (ca.peers[i]) {
			ipc_chan_close(&ca.peers[i]->chan);
			free(ca.peers[i]);
		}
	ca_global = NULL;
	ipc_chan_close(&ca.coord);
	if (ca.have_store)
		ca_store_free(&ca.store);
	loop_free(ca.loop);
	return 0;
}
