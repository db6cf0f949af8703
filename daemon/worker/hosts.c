/* Runs in a worker: the host-selection options (ignore_hosts, allow_hosts,
 * tcp_hosts), case-insensitive POSIX extended regexes searched in
 * "host:port", compiled once at start-up. */
#include <stdio.h>
#include <stdlib.h>

#include "worker/hosts.h"
#include "worker/worker_ctx.h"

int hosts_compile(struct regex_list *l, const struct strlist *src, char *err, size_t errlen)
{
	size_t i;

	l->re = xcalloc(src->n, sizeof(*l->re));
	l->n = 0;
	for (i = 0; i < src->n; i++) {
		int r = regcomp(&l->re[i], src->v[i], REG_EXTENDED | REG_ICASE | REG_NOSUB);

		if (r != 0) {
			char msg[128];

			regerror(r, &l->re[i], msg, sizeof(msg));
			snprintf(err, errlen, "invalid host pattern '%s': %s", src->v[i], msg);
			return -1;
		}
		l->n++;
	}
	return 0;
}

bool hosts_match(const struct regex_list *l, const char *host, uint16_t port)
{
	char hp[300];
	size_t i;

	if (l->n == 0 || host == NULL || *host == '\0')
		return false;
	snprintf(hp, sizeof(hp), "%s:%u", host, port);
	for (i = 0; i < l->n; i++)
		if (regexec(&l->re[i], hp, 0, NULL, 0) == 0)
			return true;
	return false;
}

bool hosts_ignored(const char *host, uint16_t port)
{
	if (wk->allow_hosts.n > 0 && !hosts_match(&wk->allow_hosts, host, port))
		return true;
	return hosts_match(&wk->ignore_hosts, host, port);
}
