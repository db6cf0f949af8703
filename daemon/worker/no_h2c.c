/* Runs in a worker: the table of plain servers that refused h2c (no_h2c.h).
 * A small fixed table rather than a hash: a worker meets few such servers
 * (reverse http:// targets), and the entry nearest its end makes room.
 * Trusts its callers (the host names come from the mode or a parsed head). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/loop.h"
#include "worker/no_h2c.h"
#include "worker/worker_ctx.h"

#define NO_H2C_SLOTS 8
#define NO_H2C_MS (300u * 1000)

static struct no_h2c {
	char host[256];
	uint16_t port;
	uint64_t until; /* loop time, ms; 0: free */
} no_h2c[NO_H2C_SLOTS];

static struct no_h2c *no_h2c_find(const char *host, uint16_t port)
{
	uint64_t now = loop_now(wk->loop);

	for (size_t i = 0; i < ARRAY_SIZE(no_h2c); i++)
		if (no_h2c[i].until > now && no_h2c[i].port == port &&
		    strcasecmp(no_h2c[i].host, host) == 0)
			return &no_h2c[i];
	return NULL;
}

bool no_h2c_has(const char *host, uint16_t port)
{
	return host && no_h2c_find(host, port) != NULL;
}

void no_h2c_add(const char *host, uint16_t port)
{
	struct no_h2c *e = host ? no_h2c_find(host, port) : NULL;

	if (host == NULL)
		return;
	if (e == NULL) {
		/* the slot with the smallest end: a free one (0), an expired
		 * one, or the one nearest its end */
		e = &no_h2c[0];
		for (size_t i = 1; i < ARRAY_SIZE(no_h2c); i++)
			if (no_h2c[i].until < e->until)
				e = &no_h2c[i];
	}
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->port = port;
	e->until = loop_now(wk->loop) + NO_H2C_MS;
}
