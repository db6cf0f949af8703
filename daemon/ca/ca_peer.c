/* The ca's side of each worker channel.  A worker is not trusted: it may be
 * compromised through any parser it runs.  So it gets one public key,
 * registered once right after its hello (the authorisation table allows
 * RegisterKey only in the CONFIG state, which registration leaves), leaves
 * only for that key and only for names a leaf may carry (certs/ca_sign.c),
 * and at most CA_SIGN_BURST requests at once and CA_SIGN_RATE a second.
 * Refusals are logged once per episode, not once per request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca_int.h"
#include "core/log.h"
#include "core/unconst.h"

static void peer_send_info(struct ca_peer *p)
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

static void peer_reply(struct ca_peer *p, uint64_t seq, const uint8_t *der, size_t len,
		       const char *error)
{
	Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;
	Snare__CertReply rep = SNARE__CERT_REPLY__INIT;

	if (der != NULL) {
		rep.has_cert_der = 1;
		rep.cert_der.data = unconst(der);
		rep.cert_der.len = len;
	} else {
		rep.error = unconst(error);
	}
	env.has_seq = 1;
	env.seq = seq;
	env.body_case = SNARE__CA_TO_WORKER__BODY_CERT_REPLY;
	env.cert_reply = &rep;
	(void)ipc_chan_send(&p->chan, &env.base, NULL, 0);
}

/* A protocol violation: the worker's channel is dropped (its requests then
 * fail and the coordinator's restart of it registers a new key). */
static void peer_drop(struct ca_peer *p, const char *why)
{
	log_warn("ca: worker %u %s; dropping its channel", p->worker, why);
	p->chan.on_close(&p->chan, -EPROTO);
}

static void peer_on_register(struct ca_peer *p, const Snare__RegisterKey *m)
{
	if (ca_leaf_key_parse(m->leaf_spki_der.data, m->leaf_spki_der.len, &p->key) < 0) {
		peer_drop(p, "registered a key a leaf may not carry");
		return;
	}
	p->spki = xmalloc(m->leaf_spki_der.len);
	memcpy(p->spki, m->leaf_spki_der.data, m->leaf_spki_der.len);
	p->spki_len = m->leaf_spki_der.len;
	p->chan.state = IPC_ST_RUNNING; /* no second RegisterKey on this channel */
}

/* The rate limit; logs when it trips and when it lets requests through again. */
static bool peer_admit(struct ca_peer *p)
{
	if (!ca_bucket_take(&p->bucket, clock_ms())) {
		if (p->limited++ == 0)
			log_warn("ca: worker %u asks for more than %u certificates at once (%u a "
				 "second sustained); refusing until it slows down",
				 p->worker, p->bucket.burst, p->bucket.rate);
		return false;
	}
	if (p->limited > 0)
		log_info("ca: worker %u: signing again; %llu requests were refused", p->worker,
			 (unsigned long long)p->limited);
	p->limited = 0;
	return true;
}

static bool peer_same_key(const struct ca_peer *p, const Snare__CertRequest *rq)
{
	return !rq->has_leaf_spki_der ||
	       (rq->leaf_spki_der.len == p->spki_len &&
		memcmp(rq->leaf_spki_der.data, p->spki, p->spki_len) == 0);
}

static const char *peer_sign(struct ca_peer *p, const Snare__CertRequest *rq, uint8_t **der,
			     size_t *len)
{
	int rc;

	if (!peer_same_key(p, rq))
		return "not the key this worker registered";
	rc = ca_sign_leaf(&p->ca->store, p->key, (const char *const *)rq->sans, rq->n_sans,
			  rq->organization, der, len);
	if (rc == -EINVAL || rc == -E2BIG)
		return "no name a leaf may carry";
	return rc < 0 ? "cannot sign the leaf certificate" : NULL;
}

static void peer_on_cert_request(struct ca_peer *p, uint64_t seq, const Snare__CertRequest *rq)
{
	const char *error;
	uint8_t *der = NULL;
	size_t len = 0;

	if (!peer_admit(p)) {
		peer_reply(p, seq, NULL, 0, "rate limited");
		return;
	}
	error = peer_sign(p, rq, &der, &len);
	if (error != NULL && p->bad++ == 0)
		log_warn("ca: worker %u: refused a certificate request (%s); further refusals "
			 "are counted when it goes",
			 p->worker, error);
	peer_reply(p, seq, der, len, error);
	free(der);
}

static void peer_on_hello(struct ipc_chan *ch, struct ipc_frame *f)
{
	ch->state = IPC_ST_CONFIG; /* next: RegisterKey, once */
	peer_send_info(ch->arg);
}

static void peer_on_register_key(struct ipc_chan *ch, struct ipc_frame *f)
{
	peer_on_register(ch->arg, ((Snare__WorkerToCa *)f->msg)->register_key);
}

static void peer_on_request(struct ipc_chan *ch, struct ipc_frame *f)
{
	Snare__WorkerToCa *m = (Snare__WorkerToCa *)f->msg;

	peer_on_cert_request(ch->arg, m->seq, m->cert_request);
}

/* What the ca does with each message a worker may send (the WORKER_TO_CA
 * rows of ipc_validate.c say in which states). */
static const struct ipc_handler peer_handlers[] = {
    {SNARE__WORKER_TO_CA__BODY_CERT_REQUEST, peer_on_request},
    {SNARE__WORKER_TO_CA__BODY_HELLO, peer_on_hello},
    {SNARE__WORKER_TO_CA__BODY_REGISTER_KEY, peer_on_register_key},
};

static void peer_free(void *arg)
{
	struct ca_peer *p = arg;

	X509_PUBKEY_free(p->key);
	free(p->spki);
	free(p);
}

static void peer_on_close(struct ipc_chan *ch, int err)
{
	struct ca_peer *p = ch->arg;
	size_t i;

	if (err < 0 && err != -EPIPE && err != -ECONNRESET && err != -EPROTO)
		log_warn("ca: worker %u broke protocol (%s); dropping its channel", p->worker,
			 strerror(-err));
	if (p->bad > 1 || p->limited > 0)
		log_info("ca: worker %u gone; %llu requests refused for their content, %llu for "
			 "the rate limit",
			 p->worker, (unsigned long long)p->bad, (unsigned long long)p->limited);
	ipc_chan_close(ch);
	for (i = 0; i < CA_MAX_WORKERS; i++)
		if (p->ca->peers[i] == p)
			p->ca->peers[i] = NULL;
	loop_defer_free(p->ca->loop, peer_free, p);
}

void ca_peer_attach(struct ca_role *ca, struct ipc_frame *f)
{
	Snare__CoordToCa *m = (Snare__CoordToCa *)f->msg;
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
	p->worker = m->attach_worker->worker_index;
	ca_bucket_init(&p->bucket, ca->sign_burst, ca->sign_rate, clock_ms());
	if (ipc_chan_init(&p->chan, ca->loop, fd, IPC_CH_WORKER_TO_CA, NULL, peer_on_close, p) <
	    0) {
		close(fd);
		free(p);
		return;
	}
	ipc_chan_handlers(&p->chan, peer_handlers, ARRAY_SIZE(peer_handlers));
	p->chan.state = IPC_ST_HELLO;
	ca->peers[i] = p;
}

void ca_peer_free_all(struct ca_role *ca)
{
	for (size_t i = 0; i < CA_MAX_WORKERS; i++)
		if (ca->peers[i]) {
			ipc_chan_close(&ca->peers[i]->chan);
			peer_free(ca->peers[i]);
			ca->peers[i] = NULL;
		}
}
