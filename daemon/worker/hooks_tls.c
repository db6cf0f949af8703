/* Runs in a worker: the tls_clienthello hook, between reading a client's
 * ClientHello (daemon/tlsparse: SNI and ALPN validated there) and
 * intercepting its TLS.  A script sees data.client_hello.sni and
 * .alpn_protocols and data.context.client / .server; setting
 * data.ignore_connection = true passes the connection through as
 * ignore_hosts would.  The hello and the scripts are untrusted. */
#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/tls.h"

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
