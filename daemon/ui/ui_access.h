/* The web interface's access rules (docs/web-api.md, Access), as pure
 * functions over one request's few fields so that every refusal is unit
 * tested: the Host header must name the listen address (DNS rebinding;
 * on a wildcard address, 0.0.0.0 or ::, any IP literal with our port),
 * a request needs the session cookie, or the token to get one, and a
 * request that changes state needs the CSRF header.  Runs in the ui; the
 * fields come from a browser and are untrusted. */
#ifndef SNARE_UI_ACCESS_H
#define SNARE_UI_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#define UI_SECRET_HEX 64 /* 32 random bytes in hex */
#define UI_SESSIONS 32	 /* cookies remembered (oldest forgotten first) */

struct ui_access {
	char host[256]; /* web_host as listened on */
	unsigned port;
	bool loopback;
	char token[UI_SECRET_HEX + 1];
	char csrf[UI_SECRET_HEX + 1];
	char sessions[UI_SESSIONS][UI_SECRET_HEX + 1];
	size_t nsessions, next;
};

/* What the access rules see of a request (any may be NULL: absent). */
struct ui_access_req {
	const char *method;
	const char *path;   /* without the query */
	const char *token;  /* the ?token= parameter */
	const char *host;   /* Host header */
	const char *cookie; /* Cookie header */
	const char *csrf;   /* X-CSRF-Token header */
};

enum ui_access_verdict {
	UI_ALLOW,
	UI_LOGIN,	 /* right token: set a new session cookie, 302 to / */
	UI_DENY_HOST,	 /* Host names something else */
	UI_DENY_TOKEN,	 /* a wrong token */
	UI_DENY_SESSION, /* no valid cookie */
	UI_DENY_CSRF,	 /* a state change without the CSRF header */
};

void ui_access_init(struct ui_access *a, const char *host, unsigned port, bool loopback,
		    const char *token, const char *csrf);
enum ui_access_verdict ui_access_check(const struct ui_access *a, const struct ui_access_req *r);
/* A new session value (hex of 32 random bytes) remembered in a; copied to out. */
void ui_access_new_session(struct ui_access *a, char out[UI_SECRET_HEX + 1]);
/* Adds a session value made elsewhere (tests). */
void ui_access_add_session(struct ui_access *a, const char *value);
/* Why, in a few words, for the 403 body. */
const char *ui_access_reason(enum ui_access_verdict v);
/* Constant-time comparison of two strings of which b is a secret. */
bool ui_secret_eq(const char *a, const char *b);
/* Fills out with 32 random bytes in hex. */
void ui_random_hex(char out[UI_SECRET_HEX + 1]);

#endif
