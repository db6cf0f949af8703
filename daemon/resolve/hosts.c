/* Runs in workers at start-up, before the seccomp filter: reads the hosts
 * file once into a sorted table, so that no lookup ever opens a file.  The
 * file is local configuration and trusted, but its lines and entries are
 * bounded.  Also holds the name checks shared with request.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "resolve/resolve_priv.h"

#define HOSTS_MAX_ENTRIES 65536
#define HOSTS_LINE_MAX 1024

static bool name_char_ok(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

int resolve_name_normalize(const char *host, char out[RESOLVE_NAME_MAX + 1])
{
	size_t len = strnlen(host, RESOLVE_NAME_MAX + 2), i, label = 0;

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > RESOLVE_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else if (!name_char_ok(c) || ++label > 63) {
			return -EINVAL;
		}
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return label == 0 ? -EINVAL : 0;
}

bool resolve_fam_add(struct resolve_fam *f, const void *addr)
{
	size_t len = f->family == AF_INET ? 4 : 16, i;

	if (f->n >= RESOLVE_MAX_PER_FAMILY)
		return false;
	for (i = 0; i < f->n; i++)
		if (memcmp(f->addr[i], addr, len) == 0)
			return false;
	memcpy(f->addr[f->n++], addr, len);
	return true;
}

static void hosts_add(struct resolve_hosts *h, const char *name, int family, const void *addr)
{
	char norm[RESOLVE_NAME_MAX + 1];
	struct resolve_host *e;

	if (h->n >= HOSTS_MAX_ENTRIES || resolve_name_normalize(name, norm) < 0)
		return;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->e = xrealloc(h->e, h->cap * sizeof(*h->e));
	}
	e = &h->e[h->n];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(norm);
	e->seq = (uint32_t)h->n++;
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
}

/* "addr name [alias...]  # comment" */
static void hosts_parse_line(struct resolve_hosts *h, char *line)
{
	unsigned char addr[16];
	char *save = NULL, *tok, *hash = strchr(line, '#');
	int family = AF_INET;

	if (hash != NULL)
		*hash = '\0';
	tok = strtok_r(line, " \t\r\n", &save);
	if (tok == NULL)
		return;
	if (inet_pton(AF_INET, tok, addr) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, tok, addr) != 1)
			return;
	}
	while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL)
		hosts_add(h, tok, family, addr);
}

static int hosts_cmp(const void *a, const void *b)
{
	const struct resolve_host *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads lines of up to HOSTS_LINE_MAX bytes; longer ones are skipped. */
static void hosts_read(struct resolve_hosts *h, FILE *f)
{
	char line[HOSTS_LINE_MAX];
	bool skipping = false;

	while (fgets(line, sizeof(line), f) != NULL) {
		bool whole = strchr(line, '\n') != NULL || feof(f);

		if (!skipping && whole)
			hosts_parse_line(h, line);
		skipping = !whole;
	}
}

int resolve_hosts_load(struct resolve_hosts *h, const char *path)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		return -errno;
	}
	hosts_read(h, f);
	if (ferror(f))
		err = -EIO;
	fclose(f);
	if (h->n >= HOSTS_MAX_ENTRIES)
		log_warn("resolve: %s: only the first %d entries are used", path,
			 HOSTS_MAX_ENTRIES);
	if (h->n > 1)
		qsort(h->e, h->n, sizeof(*h->e), hosts_cmp);
	return err;
}

void resolve_hosts_clear(struct resolve_hosts *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->e[i].name);
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* Index of the first entry whose name is >= name. */
static size_t hosts_lower_bound(const struct resolve_hosts *h, const char *name)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(h->e[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t resolve_hosts_lookup(const struct resolve_hosts *h, const char *name, struct resolve_fam *v4,
			    struct resolve_fam *v6)
{
	size_t i, added = 0;

	for (i = hosts_lower_bound(h, name); i < h->n && strcmp(h->e[i].name, name) == 0; i++) {
		struct resolve_fam *f = h->e[i].family == AF_INET ? v4 : v6;

		if (f != NULL && resolve_fam_add(f, h->e[i].addr))
			added++;
	}
	return added;
}
