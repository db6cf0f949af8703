/* Runs in a worker: the client-address policy for every client socket, TCP
 * or UDP, and the per-source UDP reply limit.  A UDP source is not proven
 * (anyone can write any address into a datagram), so the refusal and limit
 * lines are logged once per source, and all of them together at most a few
 * lines a minute: a flood of forged sources cannot flood the log.  Trusts
 * the worker's options only. */
#include <stdio.h>

#include "core/log.h"
#include "worker/client_policy.h"
#include "worker/worker_ctx.h"

#define LOGGED_ENTRIES 1024
#define LOG_REPEAT_MS (3600 * 1000u) /* a source still refused is logged again after this */
#define LIMIT_ENTRIES 4096
#define LINES_BURST 10	    /* refusal and limit lines at once ... */
#define LINE_EVERY_MS 6000u /* ... then one per this many ms */

static struct src_table logged; /* a: when the refusal was logged */
static struct reply_limit limit;
static bool have_logged, have_limit;

struct line_budget {
	uint64_t credit_ms, last_ms;
	unsigned long suppressed;
	bool started;
};
static struct line_budget lines;

bool client_blocked(const union sockaddr_any *peer)
{
	if (addr_is_loopback(&peer->sa))
		return false;
	if (wk->opts.block_global && addr_is_global(&peer->sa))
		return true;
	return wk->opts.block_private && addr_is_private(&peer->sa);
}

const char *client_blocked_by(const union sockaddr_any *peer)
{
	return addr_is_global(&peer->sa) ? "block_global" : "block_private";
}

/* Whether one more line may be logged now; a suppressed line is counted. */
static bool line_allowed(uint64_t now)
{
	uint64_t cap = (uint64_t)LINES_BURST * LINE_EVERY_MS;

	if (!lines.started) {
		lines.started = true;
		lines.credit_ms = cap;
	} else if (now > lines.last_ms) {
		lines.credit_ms += now - lines.last_ms;
		if (lines.credit_ms > cap)
			lines.credit_ms = cap;
	}
	lines.last_ms = now;
	if (lines.credit_ms < LINE_EVERY_MS) {
		lines.suppressed++;
		return false;
	}
	lines.credit_ms -= LINE_EVERY_MS;
	if (lines.suppressed > 0) {
		log_info("%lu more UDP client lines (refused or rate-limited sources) were not "
			 "logged.",
			 lines.suppressed);
		lines.suppressed = 0;
	}
	return true;
}

bool client_refused_udp(const union sockaddr_any *peer)
{
	uint64_t now = clock_ms();
	struct src_entry *e;
	char a[ADDR_STRLEN];
	bool fresh;

	if (!client_blocked(peer))
		return false;
	if (!have_logged) {
		src_table_init(&logged, LOGGED_ENTRIES);
		have_logged = true;
	}
	e = src_table_get(&logged, &peer->sa, now, &fresh);
	if (!fresh && now - e->a < LOG_REPEAT_MS)
		return true;
	e->a = now;
	if (line_allowed(now))
		log_info("Client connection from %s killed by %s option.",
			 addr_format_host(&peer->sa, a, sizeof(a)), client_blocked_by(peer));
	return true;
}

bool udp_reply_allowed(const union sockaddr_any *peer)
{
	unsigned rate = (unsigned)wk->opts.udp_reply_rate;
	uint64_t now;
	char a[ADDR_STRLEN];

	if (rate == 0 || addr_is_loopback(&peer->sa))
		return true;
	if (!have_limit) {
		reply_limit_init(&limit, rate, 2 * rate, LIMIT_ENTRIES);
		have_limit = true;
	}
	now = clock_ms();
	switch (reply_limit_take(&limit, &peer->sa, now)) {
	case REPLY_OK:
		return true;
	case REPLY_DROP_FIRST:
		if (line_allowed(now))
			log_info("UDP replies to %s are over udp_reply_rate (%u a second); the "
				 "rest are dropped.",
				 addr_format_host(&peer->sa, a, sizeof(a)), rate);
		return false;
	default:
		return false;
	}
}

void client_policy_stop(void)
{
	if (have_logged)
		src_table_free(&logged);
	if (have_limit)
		reply_limit_free(&limit);
	have_logged = have_limit = false;
}
