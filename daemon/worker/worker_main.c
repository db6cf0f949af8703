/* The worker role.  Says hello on both channels, waits for the CA
 * certificate (from the ca) and its configuration and listening sockets
 * (from the coordinator), prepares everything that needs files (trust store,
 * resolver, key log), enters its sandbox, then accepts connections until
 * told to stop.  Its log lines go to the coordinator. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fdlimit.h"
#include "core/log.h"
#include "sandbox.h"
#include "worker/hooks.h"
#include "worker/hold_http.h"
#include "worker/accepting.h"
#include "worker/certcache.h"
#include "worker/client_policy.h"
#include "worker/conn.h"
#include "worker/dns_mode.h"
#include "worker/dtls_reverse.h"
#include "worker/quic_reverse.h"
#include "worker/replay_worker.h"
#include "worker/hosts.h"
#include "worker/htpasswd.h"
#include "worker/packet.h"
#include "worker/tls.h"
#include "worker/transparent_udp.h"
#include "worker/tunnel.h"
#include "worker/udp.h"
#include "worker/worker.h"
#include "worker/worker_ctx.h"
#include "wireguard/wg.h"

struct worker *wk;

static void wk_log_sink(enum log_level lvl, const char *client, const char *msg)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__LogEvent ev;
	struct ipc_log_buf b;

	if (wk == NULL || wk->coord.closed) {
		log_print(lvl, client, msg);
		return;
	}
	ipc_log_event(&ev, &b, lvl, client, msg);
	env.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
	env.log = &ev;
	(void)ipc_chan_send(&wk->coord, &env.base, NULL, 0);
}

/* WireGuard keys for a listener's mode, from the configuration. */
static int wk_start_wireguard(struct worker_listener *l)
{
	size_t i;

	for (i = 0; i < wk->nwg; i++)
		if (wk->wg[i].mode_index == l->mode_index)
			return packet_source_start_wg(l->fd, l->mode_index, &wk->wg[i].keys);
	log_error("worker %u: no WireGuard keys for %s", wk->index, wk->modes[l->mode_index].full);
	return -ENOENT;
}

static void wk_on_datagram(struct loop_io *io, uint32_t events)
{
	struct worker_listener *l = io->arg;

	const struct mode_spec *m = &wk->modes[l->mode_index];
	enum scheme_dgram d = modespec_scheme_of(m)->dgram;

	if (d == SCHEME_DGRAM_UDP)
		udp_reverse_readable(l);
	else if (d == SCHEME_DGRAM_DTLS)
		dtls_reverse_readable(l);
	else if (d == SCHEME_DGRAM_QUIC || d == SCHEME_DGRAM_HTTP3)
		quic_reverse_readable(l);
	else if (m->kind == MODE_TRANSPARENT)
		tu_readable(l);
	else
		dns_udp_readable(l);
}

static int wk_listen(void)
{
	size_t i;

	for (i = 0; i < wk->nlisteners; i++) {
		struct worker_listener *l = &wk->listeners[i];

		if (l->packet) {
			if (packet_source_start(l->fd, l->mode_index) < 0)
				return -EIO;
			continue;
		}
		if (wk->modes[l->mode_index].kind == MODE_WIREGUARD) {
			if (wk_start_wireguard(l) < 0)
				return -EIO;
			continue;
		}
		if (l->udp && wk->modes[l->mode_index].kind == MODE_TRANSPARENT && tu_take(l))
			continue; /* a raw socket for transparent UDP's answers */
		loop_io_init(&l->io, l->fd, l->udp ? wk_on_datagram : accepting_readable, l);
		if (loop_io_set(wk->loop, &l->io, EPOLLIN | EPOLLEXCLUSIVE) < 0)
			return -errno;
	}
	return 0;
}

/* Lines below the user's verbosity are not even sent to the coordinator. */
static void wk_apply_log_level(const char *v)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	size_t i;

	for (i = 0; v && i < ARRAY_SIZE(names); i++)
		if (strcmp(v, names[i]) == 0)
			log_set_level((enum log_level)i);
}

static int wk_apply_options(const Snare__WorkerConfig *cfg, char *err, size_t errlen)
{
	size_t i;

	options_init(&wk->opts);
	for (i = 0; i < cfg->n_options; i++)
		if (options_set_kv(&wk->opts, cfg->options[i]->key, cfg->options[i]->value, err,
				   errlen) < 0)
			return -EINVAL;
	wk->want_flows = !cfg->has_want_flows || cfg->want_flows;
	wk_apply_log_level(wk->opts.termlog_verbosity);
	wk->modes = xcalloc(cfg->n_modes, sizeof(*wk->modes));
	for (i = 0; i < cfg->n_modes; i++, wk->nmodes++)
		if (modespec_parse(cfg->modes[i], &wk->modes[i], err, errlen) < 0)
			return -EINVAL;
	if (hosts_compile(&wk->ignore_hosts, &wk->opts.ignore_hosts, err, errlen) < 0 ||
	    hosts_compile(&wk->allow_hosts, &wk->opts.allow_hosts, err, errlen) < 0 ||
	    hosts_compile(&wk->tcp_hosts, &wk->opts.tcp_hosts, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

static int wk_take_listeners(const Snare__WorkerConfig *cfg, struct ipc_frame *f)
{
	size_t i;
	socklen_t len;

	wk->listeners = xcalloc(cfg->n_listeners, sizeof(*wk->listeners));
	for (i = 0; i < cfg->n_listeners; i++) {
		struct worker_listener *l = &wk->listeners[i];

		l->fd = ipc_frame_take_fd(f, i);
		l->mode_index = cfg->listeners[i]->mode_index;
		l->udp = cfg->listeners[i]->udp;
		l->packet = cfg->listeners[i]->packet;
		len = sizeof(l->addr);
		getsockname(l->fd, &l->addr.sa, &len);
		wk->nlisteners++;
	}
	return 0;
}

/* Copies the WireGuard keys out of the frame (checked lengths). */
static void wk_take_wireguard(const Snare__WorkerConfig *cfg)
{
	size_t i;

	wk->wg = xcalloc(cfg->n_wireguard ? cfg->n_wireguard : 1, sizeof(*wk->wg));
	for (i = 0; i < cfg->n_wireguard; i++) {
		const Snare__WireguardKeys *k = cfg->wireguard[i];
		struct wk_wg *w = &wk->wg[wk->nwg];

		if (k->server_private.len != 32 || k->server_public.len != 32 ||
		    k->client_public.len != 32)
			continue;
		w->mode_index = k->mode_index;
		memcpy(w->keys.server_priv, k->server_private.data, 32);
		memcpy(w->keys.server_pub, k->server_public.data, 32);
		memcpy(w->keys.client_pub, k->client_public.data, 32);
		wk->nwg++;
	}
}

static int wk_prepare(void)
{
	struct resolve_opts ro = {0};

	ro.use_hosts_file = wk->opts.dns_use_hosts_file;
	ro.name_servers = (const char *const *)wk->opts.dns_name_servers.v;
	ro.n_name_servers = wk->opts.dns_name_servers.n;
	if (resolver_new(wk->loop, &ro, &wk->resolver) < 0) {
		log_error("worker %u: cannot start the resolver", wk->index);
		return -1;
	}
	(void)dns_read_resolv_conf(); /* dns mode's forwarding target by default */
	if (udp_reverse_prepare() < 0 || dtls_reverse_prepare() < 0 || quic_reverse_prepare() < 0)
		return -1;
	if (wk->opts.proxyauth && wk->opts.proxyauth[0] == '@' && htpasswd_load() < 0)
		log_warn("proxyauth %s: no usable entries; every login will be refused",
			 wk->opts.proxyauth);
	if (wk->nwg > 0 && wg_crypto_init() < 0)
		return -1;
	wk->leaf_key = leaf_key_generate(wk->opts.leaf_key == LEAF_KEY_RSA2048);
	if (wk->leaf_key == NULL ||
	    leaf_key_spki(wk->leaf_key, &wk->leaf_spki, &wk->leaf_spki_len) < 0 ||
	    certcache_register() < 0)
		return -1;
	return tls_init();
}

/* Runs once both the configuration and the CA certificate have arrived. */
static void wk_start(void)
{
	char err[512];

	if (!wk->have_config || !wk->have_ca || wk->running || !replay_worker_ready())
		return;
	if (wk_prepare() < 0)
		exit(1);
	accepting_prepare(wk->index, (unsigned)wk->nlisteners);
	if (sandbox_startup(&(struct sandbox_plan){.role = SANDBOX_WORKER}, err, sizeof(err)) < 0) {
		log_error("worker %u: %s", wk->index, err);
		exit(1);
	}
	if (wk_listen() < 0)
		exit(1);
	wk->running = true;
	replay_client_start();
}

static void wk_stop_now(void)
{
	struct conn *c, *next;

	for (c = wk->conns; c; c = next) {
		next = c->next;
		conn_close(c);
	}
	dns_stop_all();
	udp_reverse_stop();
	dtls_reverse_stop();
	quic_reverse_stop();
	tu_stop();
	client_policy_stop();
	packet_sources_stop();
	loop_stop(wk->loop);
}

static void wk_on_grace(struct loop_timer *t)
{
	wk_stop_now();
}

/* Shutdown: stop accepting, let open connections finish for a short grace
 * period (their last close ends the worker early), then close the rest. */
static struct loop_timer wk_grace;

static void wk_stop(uint32_t grace_ms)
{
	size_t i;

	wk->stopping = true;
	accepting_stop();
	for (i = 0; i < wk->nlisteners; i++)
		loop_io_del(wk->loop, &wk->listeners[i].io);
	if (wk->nconns == 0 || grace_ms == 0) {
		wk_stop_now();
		return;
	}
	loop_timer_arm(wk->loop, &wk_grace, grace_ms);
}

/* Called when a connection ends while stopping. */
void worker_conn_gone(void)
{
	/* Not from here: we may be deep inside a connection's callbacks. */
	if (wk->stopping && wk->nconns == 0)
		loop_timer_arm(wk->loop, &wk_grace, 0);
}

#ifdef SNARE_TEST_HOOKS
/* Test builds only: what no worker may do; the filter kills us.  Worker 0
 * sets TCP_ULP (31: kernel TLS) on a TCP socket, the others call acct(). */
static void wk_test_forbidden(void)
{
	int fd;

	if (wk->index == 0 && (fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		log_info("worker %u: test trigger: setsockopt(TCP_ULP)", wk->index);
		(void)setsockopt(fd, IPPROTO_TCP, 31, "tls", 3);
		close(fd);
		log_error("worker %u: the forbidden syscall was allowed (TCP_ULP)", wk->index);
		return;
	}
	log_info("worker %u: test trigger: calling acct()", wk->index);
	syscall(SYS_acct, NULL);
	log_error("worker %u: the forbidden syscall was allowed", wk->index);
}
#endif

static void wk_on_config(struct ipc_chan *ch, struct ipc_frame *f)
{
	Snare__CoordToWorker *m = (Snare__CoordToWorker *)f->msg;
	char err[512];

	wk->index = m->config->worker_index;
	if (wk_apply_options(m->config, err, sizeof(err)) < 0) {
		log_error("worker: bad configuration: %s", err);
		exit(1);
	}
	if (hooks_configure(m->config, err, sizeof(err)) < 0)
		log_error("worker %u: %s; scripts and rewrites are off in this worker", wk->index,
			  err);
	hold_http_configure();
	if (replay_worker_configure(m->config, err, sizeof(err)) < 0)
		log_error("worker %u: %s; server replay is off in this worker", wk->index, err);
	wk_take_listeners(m->config, f);
	wk_take_wireguard(m->config);
	ch->state = IPC_ST_RUNNING;
	wk->have_config = true;
	wk_start();
}

/* A replay flow (replay_worker.h); the last server replay flow lets the
 * worker start serving. */
static void wk_on_replay(struct ipc_chan *ch, struct ipc_frame *f)
{
	replay_worker_on_flow(ch, f);
	wk_start();
}

static void wk_on_shutdown(struct ipc_chan *ch, struct ipc_frame *f)
{
	const Snare__Shutdown *m = ((Snare__CoordToWorker *)f->msg)->shutdown;

	wk_stop(m->has_grace_ms ? m->grace_ms : 1000);
}

#ifdef SNARE_TEST_HOOKS
static void wk_on_test_trigger(struct ipc_chan *ch, struct ipc_frame *f)
{
	wk_test_forbidden();
}
#endif

/* What the worker does with each message the coordinator may send (the
 * COORD_TO_WORKER rows of ipc_validate.c say in which states).  Without
 * test hooks a test_trigger has no row: a violation. */
static const struct ipc_handler wk_coord_handlers[] = {
    {SNARE__COORD_TO_WORKER__BODY_CONFIG, wk_on_config},
    {SNARE__COORD_TO_WORKER__BODY_SHUTDOWN, wk_on_shutdown},
    {SNARE__COORD_TO_WORKER__BODY_HOLD, hold_http_on_command},
    {SNARE__COORD_TO_WORKER__BODY_INTERCEPT, hold_http_on_intercept},
    {SNARE__COORD_TO_WORKER__BODY_REPLAY, wk_on_replay},
#ifdef SNARE_TEST_HOOKS
    {SNARE__COORD_TO_WORKER__BODY_TEST_TRIGGER, wk_on_test_trigger},
#endif
};

static void wk_on_ca_info(struct ipc_chan *ch, struct ipc_frame *f)
{
	const Snare__CaInfo *m = ((Snare__CaToWorker *)f->msg)->info;
	const uint8_t *p = m->ca_cert_der.data;

	wk->ca_cert = d2i_X509(NULL, &p, (long)m->ca_cert_der.len);
	if (wk->ca_cert == NULL)
		fatal("worker: the ca sent an unreadable certificate");
	wk->ca_pem = xmalloc(m->ca_cert_pem.len);
	memcpy(wk->ca_pem, m->ca_cert_pem.data, m->ca_cert_pem.len);
	wk->ca_pem_len = m->ca_cert_pem.len;
	wk->ca_p12 = xmalloc(m->ca_cert_p12.len);
	memcpy(wk->ca_p12, m->ca_cert_p12.data, m->ca_cert_p12.len);
	wk->ca_p12_len = m->ca_cert_p12.len;
	ch->state = IPC_ST_RUNNING;
	wk->have_ca = true;
	wk_start();
}

static void wk_on_cert_reply(struct ipc_chan *ch, struct ipc_frame *f)
{
	Snare__CaToWorker *m = (Snare__CaToWorker *)f->msg;

	tunnel_on_cert(m->seq, m->cert_reply->has_cert_der ? m->cert_reply->cert_der.data : NULL,
		       m->cert_reply->cert_der.len, m->cert_reply->error);
	dtls_reverse_on_cert(m->seq);
	quic_reverse_on_cert(m->seq);
}

/* What the worker does with each message the ca may send (CA_TO_WORKER). */
static const struct ipc_handler wk_ca_handlers[] = {
    {SNARE__CA_TO_WORKER__BODY_CERT_REPLY, wk_on_cert_reply},
    {SNARE__CA_TO_WORKER__BODY_INFO, wk_on_ca_info},
};

static void wk_on_close(struct ipc_chan *ch, int err)
{
	/* Losing the coordinator or the ca ends the worker; the coordinator
	 * starts a new one with fresh channels. */
	ipc_chan_close(ch);
	if (!wk->stopping)
		exit(err == 0 ? 0 : 1);
	loop_stop(wk->loop);
}

static void wk_on_drain(struct ipc_chan *ch)
{
	struct conn *c, *next;

	for (c = wk->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_CLIENT_HEAD)
			conn_pump_later(c);
	}
}

static int wk_hello(struct ipc_chan *ch, bool to_ca)
{
	Snare__Hello h;

	ipc_hello_fill(&h);
	if (to_ca) {
		Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;

		env.body_case = SNARE__WORKER_TO_CA__BODY_HELLO;
		env.hello = &h;
		return ipc_chan_send(ch, &env.base, NULL, 0);
	} else {
		Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

		env.body_case = SNARE__WORKER_TO_COORD__BODY_HELLO;
		env.hello = &h;
		return ipc_chan_send(ch, &env.base, NULL, 0);
	}
}

int worker_main(void)
{
	static struct worker w;

	snare_progname = "snare-worker";
	/* Buffers come and go with every connection: keep freed memory in the
	 * heap instead of returning it to the kernel (brk/munmap) each time. */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	signal(SIGPIPE, SIG_IGN);
	wk = &w;
	accepting_set_fd_limit(fdlimit_raise()); /* before the sandbox refuses prlimit */
	w.keylog_fd = -1;
	w.loop = loop_new();
	if (w.loop == NULL ||
	    ipc_chan_init(&w.coord, w.loop, 3, IPC_CH_COORD_TO_WORKER, NULL, wk_on_close, &w) < 0 ||
	    ipc_chan_init(&w.ca, w.loop, 4, IPC_CH_CA_TO_WORKER, NULL, wk_on_close, &w) < 0)
		fatal("cannot set up the worker's channels");
	ipc_chan_handlers(&w.coord, wk_coord_handlers, ARRAY_SIZE(wk_coord_handlers));
	ipc_chan_handlers(&w.ca, wk_ca_handlers, ARRAY_SIZE(wk_ca_handlers));
	loop_timer_init(&wk_grace, wk_on_grace, NULL);
	w.coord.state = IPC_ST_CONFIG;
	w.coord.on_drain = wk_on_drain;
	w.ca.state = IPC_ST_HELLO;
	log_set_sink(wk_log_sink);
	if (wk_hello(&w.coord, false) < 0 || wk_hello(&w.ca, true) < 0)
		return 1;
	loop_run(w.loop);
	certcache_free_all();
	return 0;
}
