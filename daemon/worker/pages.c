/* Runs in a worker: responses snare makes itself — short HTML error pages
 * (mitmproxy's shape: <h1>CODE Reason</h1><p>msg</p>, Connection: close) and
 * the mitm.it onboarding app with the CA certificate downloads (its pages
 * also for HTTP/2, h2_regular.c).  Trusts the path it is given only to be
 * compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"
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

int pages_error_html(char *body, size_t cap, int status, const char *reason, const char *msg)
{
	char esc[1200];
	int n;

	html_escape(msg, esc, sizeof(esc));
	n = snprintf(body, cap,
		     "<html><head><title>%d %s</title></head>\n<body><h1>%d %s</h1><p>%s</p>"
		     "</body></html>\n",
		     status, reason, status, reason, esc);
	return n < 0 || (size_t)n >= cap ? (int)strlen(body) : n;
}

void http_error(struct conn *c, int status, const char *reason, const char *msg)
{
	char body[1600];
	const char *extra = status == 407 ? "Proxy-Authenticate: Basic realm=\"snare\"\r\n" : NULL;
	int n = pages_error_html(body, sizeof(body), status, reason, msg);

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

bool pages_is_onboarding(const char *host)
{
	return wk->opts.onboarding && wk->opts.onboarding_host &&
	       strcasecmp(host, wk->opts.onboarding_host) == 0;
}

enum page_body { PB_HTML, PB_PEM, PB_P12 };

static const struct {
	const char *path, *ctype, *file;
	enum page_body body;
} onboarding_pages[] = {
    {"/", "text/html; charset=utf-8", NULL, PB_HTML},
    {"/index.html", "text/html; charset=utf-8", NULL, PB_HTML},
    {"/cert/pem", "application/x-x509-ca-cert", "snare-ca-cert.pem", PB_PEM},
    {"/cert/cer", "application/x-x509-ca-cert", "snare-ca-cert.cer", PB_PEM},
    {"/cert/p12", "application/x-pkcs12", "snare-ca-cert.p12", PB_P12},
};

bool pages_onboarding_find(const char *path, size_t n, struct page *pg)
{
	for (size_t i = 0; i < ARRAY_SIZE(onboarding_pages); i++) {
		if (strlen(onboarding_pages[i].path) != n ||
		    memcmp(onboarding_pages[i].path, path, n) != 0)
			continue;
		pg->ctype = onboarding_pages[i].ctype;
		pg->file = onboarding_pages[i].file;
		switch (onboarding_pages[i].body) {
		case PB_HTML:
			pg->body = (const uint8_t *)onboarding_html;
			pg->len = sizeof(onboarding_html) - 1;
			break;
		case PB_PEM:
			pg->body = wk->ca_pem;
			pg->len = wk->ca_pem_len;
			break;
		case PB_P12:
			pg->body = wk->ca_p12;
			pg->len = wk->ca_p12_len;
			break;
		}
		return true;
	}
	return false;
}

void pages_onboarding(struct conn *c, const struct http1_head *req)
{
	struct http1_str p = req->target;
	struct http1_target t;
	struct page pg;
	char extra[128];

	if (p.n > 0 && p.p[0] != '/' && http1_parse_absolute(req->target, &t) == 0)
		p = t.path;
	if (!pages_onboarding_find(p.p, p.n, &pg)) {
		http_error(c, 404, "Not Found", PAGES_NOT_FOUND);
		return;
	}
	extra[0] = '\0';
	if (pg.file)
		snprintf(extra, sizeof(extra), "Content-Disposition: attachment; filename=%s\r\n",
			 pg.file);
	send_response(c, 200, "OK", pg.ctype, extra, pg.body, pg.len);
}
