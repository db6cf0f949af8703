/* Runs in the worker: header lists of flow records, searched by name
 * without regard to case and rebuilt (never edited in place) so the
 * caller's arrays stay as they were. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flowedit/flowedit.h"

static bool header_is(const Snare__Header *h, const char *name)
{
	size_t n = strlen(name);

	return h && h->has_name && h->name.len == n &&
	       strncasecmp((const char *)h->name.data, name, n) == 0;
}

Snare__Header *flowedit_header_next(Snare__Header *const *h, size_t n, const char *name,
				    size_t *from)
{
	for (size_t i = *from; i < n; i++) {
		if (header_is(h[i], name)) {
			*from = i + 1;
			return h[i];
		}
	}
	*from = n;
	return NULL;
}

const char *flowedit_header_get(Snare__Header *const *h, size_t n, const char *name, char *buf,
				size_t len)
{
	size_t from = 0, vlen;
	Snare__Header *x = flowedit_header_next(h, n, name, &from);

	if (!x || !len)
		return NULL;
	vlen = x->has_value ? x->value.len : 0;
	if (vlen >= len)
		vlen = len - 1;
	if (vlen)
		memcpy(buf, x->value.data, vlen);
	buf[vlen] = 0;
	return buf;
}

Snare__Header *flowedit_header_new(struct flowedit *e, const void *name, size_t nlen,
				   const void *value, size_t vlen)
{
	Snare__Header *h = flowedit_alloc(e, sizeof(*h));

	snare__header__init(h);
	h->has_name = h->has_value = 1;
	h->name = flowedit_bytes(e, name, nlen);
	h->value = flowedit_bytes(e, value, vlen);
	return h;
}

/* A copy of the list without name's headers, with room for one more. */
static Snare__Header **header_copy_without(struct flowedit *e, Snare__Header **hs, size_t n,
					   const char *name, size_t *out_n, size_t *first)
{
	Snare__Header **v = flowedit_alloc(e, (n + 1) * sizeof(*v));
	size_t k = 0;

	*first = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (name && header_is(hs[i], name)) {
			if (*first == SIZE_MAX)
				*first = k;
			continue;
		}
		v[k++] = hs[i];
	}
	*out_n = k;
	return v;
}

void flowedit_header_remove(struct flowedit *e, Snare__Header ***hs, size_t *n, const char *name)
{
	size_t first;

	*hs = header_copy_without(e, *hs, *n, name, n, &first);
}

void flowedit_header_add(struct flowedit *e, Snare__Header ***hs, size_t *n, const char *name,
			 const void *value, size_t vlen)
{
	size_t first, k;
	Snare__Header **v = header_copy_without(e, *hs, *n, NULL, &k, &first);

	v[k++] = flowedit_header_new(e, name, strlen(name), value, vlen);
	*hs = v;
	*n = k;
}

void flowedit_header_set(struct flowedit *e, Snare__Header ***hs, size_t *n, const char *name,
			 const void *value, size_t vlen)
{
	size_t first, k;
	Snare__Header **v = header_copy_without(e, *hs, *n, name, &k, &first);

	if (first == SIZE_MAX)
		first = k;
	memmove(v + first + 1, v + first, (k - first) * sizeof(*v));
	v[first] = flowedit_header_new(e, name, strlen(name), value, vlen);
	*hs = v;
	*n = k + 1;
}
