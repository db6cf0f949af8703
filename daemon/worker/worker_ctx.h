/* The worker's per-process context (`wk`): its configuration, listeners,
 * CA material, certificate cache and the list of live connections, and the
 * limits every part of the worker shares.  Runs in a worker. */
#ifndef SNARE_WORKER_WORKER_CTX_H
#define SNARE_WORKER_WORKER_CTX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "certs/certs.h"
#include "config/modespec.h"
#include "config/options.h"
#include "core/addr.h"
#include "core/loop.h"
#include "ipc/ipc.h"
#include "wireguard/wg.h"

#define STREAM_BUF_MAX (64 * 1024)   /* plaintext in/out per direction */
#define STREAM_TXC_MAX (64 * 1024)   /* ciphertext waiting for the socket */
#define FLOW_BODY_KEEP (4u << 20)    /* at most this much of a body is kept for a flow */
#define FLOW_PART_BYTES (128 * 1024) /* body bytes per FlowBody frame */
#define CONNECT_TIMEOUT_MS 10000
#define UDP_IDLE_MS 20000    /* a relayed UDP flow ends after this long without a datagram */
#define WORKER_KEYLOG_FD 5   /* SSLKEYLOGFILE, when the coordinator opened one */
#define WORKER_TRUST_FD 6    /* ssl_verify_upstream_trusted_ca, likewise */
#define WORKER_HTPASSWD_FD 7 /* proxyauth @file, likewise */
#define WORKER_PROCMAP_FD 8  /* local mode: connection -> process map */
#define CERTS_SAN_WANT CERTS_MAX_SANS
#define RELAY_KEEP_MAX (96 * 1024) /* message bytes kept per raw/WebSocket flow */
#define RELAY_MSGS_MAX 1024

struct conn;
struct worker_listener {
	int fd;
	struct loop_io io;
	unsigned mode_index;
	bool udp;
	bool packet; /* a TUN fd feeding the network stack */
	union sockaddr_any addr;
};

struct regex_list {
	regex_t *re;
	size_t n;
};

struct certcache;
struct wk_wg {
	unsigned mode_index;
	struct wg_keys keys;
};

struct worker {
	struct loop *loop;
	unsigned index;
	struct ipc_chan coord;
	struct ipc_chan ca;
	bool have_config, have_ca, running, stopping;
	struct options opts;
	struct mode_spec *modes;
	size_t nmodes;
	struct worker_listener *listeners;
	size_t nlisteners;
	struct resolver *resolver;
	EVP_PKEY *leaf_key;
	uint8_t *leaf_spki;
	size_t leaf_spki_len;
	X509 *ca_cert;
	uint8_t *ca_pem, *ca_p12;
	size_t ca_pem_len, ca_p12_len;
	SSL_CTX *upstream_ctx;
	int keylog_fd;
	struct certcache *certs;
	struct regex_list ignore_hosts, allow_hosts, tcp_hosts;
	bool want_flows;  /* somebody prints or saves flows */
	struct wk_wg *wg; /* WireGuard keys per wireguard mode */
	size_t nwg;
	struct conn *conns; /* all live connections (doubly linked) */
	size_t nconns;
};

extern struct worker *wk;

/* worker_main.c: a connection ended while the worker is stopping. */
void worker_conn_gone(void);

#endif
