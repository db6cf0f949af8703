/* Runs in a worker: the tls_clienthello hook, between reading a client's
 * ClientHello (daemon/tlsparse: SNI and ALPN validated there) and
 * intercepting its TLS.  A script sees data.client_hello.sni and
 * .alpn_protocols and data.context.client / .server; setting
 * data.ignore_connection = true passes the connection through as
 * ignore_hosts would.  Intercepted QUIC (quic_intercept.c) calls it too
 * with the hello of the client's Initial: ignored, the flow is relayed as
 * UDP.  The hello and the scripts are untrusted. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/tls.h"
#include "worker/udp.h"

enum hooks_tls hooks_tls_clienthello(struct conn *c)
{
	const char *alpn[TLSPARSE_MAX_ALPN];
	struct script_flow sf;
	Snare__Flow *f;
	unsigned ch;

	if (!hooks.active || c->hello == NULL ||
	    !script_set_wants(&hooks.scripts, SCRIPT_EV_TLS_CLIENTHELLO))
		return HOOKS_TLS_INTERCEPT;
	for (size_t i = 0; i < c->hello->nalpn && i < TLSPARSE_MAX_ALPN; i++)
		alpn[i] = c->hello->alpn[i];
	f = flow_conn_view(c, SNARE__FLOW__TYPE__TCP);
	script_flow_init(&sf, f);
	sf.hello_sni = c->hello->sni[0] ? c->hello->sni : NULL;
	sf.hello_alpn = alpn;
	sf.hello_nalpn = c->hello->nalpn < TLSPARSE_MAX_ALPN ? c->hello->nalpn : TLSPARSE_MAX_ALPN;
	script_set_call(&hooks.scripts, SCRIPT_EV_TLS_CLIENTHELLO, &sf);
	ch = sf.changed;
	script_flow_release(&sf);
	flow_view_free(f);
	if (ch & SCRIPT_CH_KILL) {
		conn_client_log(c, LOG_LVL_INFO, "connection killed by a tls_clienthello hook");
		return HOOKS_TLS_KILL;
	}
	if (ch & SCRIPT_CH_IGNORE_TLS) {
		conn_client_log(c, LOG_LVL_INFO,
				"TLS passed through (tls_clienthello: ignore_connection)");
		return HOOKS_TLS_IGNORE;
	}
	return HOOKS_TLS_INTERCEPT;
}

struct quic_hello {
	const char *sni;
	char list[TLSPARSE_MAX_ALPN * 65];
	const char *alpn[TLSPARSE_MAX_ALPN];
	size_t nalpn;
	unsigned changed;
};

static void run_quic_hello(Snare__Flow *f, void *arg)
{
	struct quic_hello *h = arg;
	struct script_flow sf;

	script_flow_init(&sf, f);
	sf.hello_sni = h->sni[0] ? h->sni : NULL;
	sf.hello_alpn = h->alpn;
	sf.hello_nalpn = h->nalpn;
	script_set_call(&hooks.scripts, SCRIPT_EV_TLS_CLIENTHELLO, &sf);
	h->changed = sf.changed;
	script_flow_release(&sf);
}

enum hooks_tls hooks_quic_clienthello(struct udp_rec *r, const char *sni, const char *alpn)
{
	struct quic_hello h = {.sni = sni};
	char *save = NULL;

	if (!hooks.active || r == NULL ||
	    !script_set_wants(&hooks.scripts, SCRIPT_EV_TLS_CLIENTHELLO))
		return HOOKS_TLS_INTERCEPT;
	snprintf(h.list, sizeof(h.list), "%s", alpn);
	for (char *a = strtok_r(h.list, ",", &save); a && h.nalpn < TLSPARSE_MAX_ALPN;
	     a = strtok_r(NULL, ",", &save))
		h.alpn[h.nalpn++] = a;
	udp_record_with(r, NULL, run_quic_hello, &h);
	if (h.changed & SCRIPT_CH_KILL) {
		log_info("QUIC to %s: the flow is killed by a tls_clienthello hook", sni);
		return HOOKS_TLS_KILL;
	}
	if (h.changed & SCRIPT_CH_IGNORE_TLS) {
		log_info("QUIC to %s relayed as UDP (tls_clienthello: ignore_connection)", sni);
		return HOOKS_TLS_IGNORE;
	}
	return HOOKS_TLS_INTERCEPT;
}
