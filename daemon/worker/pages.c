/* Runs in a worker: responses snare makes itself — short HTML error pages
 * (mitmproxy's shape: <h1>CODE Reason</h1><p>msg</p>, Connection: close) and
 * the mitm.it onboarding app with the CA certificate downloads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/pages.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

static void html_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 7 < len; in++) {
		const char *rep = *in == '<'   ? "&lt;"
				  : *in == '>' ? "&gt;"
				  : *in == '&' ? "&amp;"
				  : *in == '"' ? "&quot;"
					       : NULL;

		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void send_response(struct conn *c, int status, const char *reason, const char *ctype,
			  const char *extra, const uint8_t *body, size_t blen)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nServer: snare %s\r\nConnection: close\r\n"
			 "Content-Type: %s\r\n%sContent-Length: %zu\r\n\r\n",
			 status, reason, SNARE_VERSION, ctype, extra ? extra : "", blen);
	uint8_t *all = xmalloc((size_t)n + blen);

	memcpy(all, head, (size_t)n);
	memcpy(all + n, body, blen);
	http_local_response(c, all, (size_t)n + blen);
	free(all);
	c->client.shut_req = true;
	conn_set_state(c, CS_CLOSING);
}

void http_error(struct conn *c, int status, const char *reason, const char *msg)
{
	char esc[1200], body[1600];
	const char *extra = status == 407 ? "Proxy-Authenticate: Basic realm=\"snare\"\r\n" : NULL;
	int n;

	html_escape(msg, esc, sizeof(esc));
	n = snprintf(body, sizeof(body),
		     "<html><head><title>%d %s</title></head>\n<body><h1>%d %s</h1><p>%s</p>"
		     "</body></html>\n",
		     status, reason, status, reason, esc);
	if (c->http->req.head == NULL || c->http->req.raw == NULL) {
		free(c->http->req.head);
		c->http->req.head = NULL;
	} else if (c->server.err[0] == '\0' && status >= 500) {
		stream_set_err(&c->server, "%s", msg);
	}
	send_response(c, status, reason, "text/html", extra, (const uint8_t *)body, (size_t)n);
}

static const char onboarding_html[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>snare: install the CA "
    "certificate</title></head>\n<body>\n<h1>Install snare's CA certificate</h1>\n"
    "<p>Your traffic goes through snare. To intercept HTTPS, your device must trust "
    "snare's certificate authority. Only install it on devices you own, and remove it "
    "when you are done.</p>\n<ul>\n"
    "<li><b>Linux</b>: <a href=\"/cert/pem\">snare-ca-cert.pem</a>; then "
    "<code>sudo cp snare-ca-cert.pem /usr/local/share/ca-certificates/snare.crt &amp;&amp; "
    "sudo update-ca-certificates</code></li>\n"
    "<li><b>Firefox</b>: <a href=\"/cert/pem\">snare-ca-cert.pem</a>; Settings, Privacy "
    "&amp; Security, Certificates, View Certificates, Authorities, Import</li>\n"
    "<li><b>Windows</b>: <a href=\"/cert/p12\">snare-ca-cert.p12</a>; open it and place it "
    "in Trusted Root Certification Authorities</li>\n"
    "<li><b>macOS</b>: <a href=\"/cert/pem\">snare-ca-cert.pem</a>; open it in Keychain "
    "Access and set it to Always Trust</li>\n"
    "<li><b>iOS</b>: <a href=\"/cert/pem\">snare-ca-cert.pem</a>; install the profile, then "
    "enable full trust in Settings, General, About, Certificate Trust Settings</li>\n"
    "<li><b>Android</b>: <a href=\"/cert/cer\">snare-ca-cert.cer</a>; Settings, Security, "
    "Encryption &amp; credentials, Install a certificate, CA certificate</li>\n"
    "</ul>\n<p>curl and other command-line tools: <code>--cacert "
    "~/.snare/snare-ca-cert.pem</code>.</p>\n</body></html>\n";

void pages_onboarding(struct conn *c, const struct http1_head *req)
{
	struct http1_str p = req->target;
	struct http1_target t;

	if (p.n > 0 && p.p[0] != '/' && http1_parse_absolute(req->target, &t) == 0)
		p = t.path;
	if (http1_str_eq(p, "/") || http1_str_eq(p, "/index.html"))
		send_response(c, 200, "OK", "text/html; charset=utf-8", NULL,
			      (const uint8_t *)onboarding_html, sizeof(onboarding_html) - 1);
	else if (http1_str_eq(p, "/cert/pem"))
		send_response(c, 200, "OK", "application/x-x509-ca-cert",
			      "Content-Disposition: attachment; filename=snare-ca-cert.pem\r\n",
			      wk->ca_pem, wk->ca_pem_len);
	else if (http1_str_eq(p, "/cert/cer"))
		send_response(c, 200, "OK", "application/x-x509-ca-cert",
			      "Content-Disposition: attachment; filename=snare-ca-cert.cer\r\n",
			      wk->ca_pem, wk->ca_pem_len);
	else if (http1_str_eq(p, "/cert/p12"))
		send_response(c, 200, "OK", "application/x-pkcs12",
			      "Content-Disposition: attachment; filename=snare-ca-cert.p12\r\n",
			      wk->ca_p12, wk->ca_p12_len);
	else
		http_error(c, 404, "Not Found", "No such page on the onboarding app.");
}
