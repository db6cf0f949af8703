/* encoding_decode: splits a Content-Encoding value into its codings and
 * undoes them from the last, each stage under the same output cap.  The
 * header value and the body are untrusted. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encoding/encoding.h"
#include "encoding/encoding_int.h"

struct coding {
	const char *name;
	int (*decode)(const uint8_t *in, size_t n, struct enc_out *o); /* NULL: identity */
};

static const struct coding codings[] = {
    {"identity", NULL},	      {"gzip", enc_gzip}, {"x-gzip", enc_gzip},
    {"deflate", enc_deflate}, {"br", enc_brotli}, {"zstd", enc_zstd},
};

/* The coding named by s[0..n) (already trimmed), or NULL. */
static const struct coding *coding_find(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(codings); i++)
		if (strlen(codings[i].name) == n && !strncasecmp(codings[i].name, s, n))
			return &codings[i];
	return NULL;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Fills list[] with the codings of `coding` in header order; their count,
 * or -ENOTSUP (unknown name, too many). */
static int coding_list(const char *coding, size_t clen, const struct coding **list)
{
	size_t i = 0;
	int n = 0;

	while (i < clen) {
		size_t s = i, e;

		while (i < clen && coding[i] != ',')
			i++;
		e = i++;
		while (s < e && is_ows(coding[s]))
			s++;
		while (e > s && is_ows(coding[e - 1]))
			e--;
		if (s == e)
			continue;
		if (n == ENCODING_MAX_CHAIN)
			return -ENOTSUP;
		if (!(list[n] = coding_find(coding + s, e - s)))
			return -ENOTSUP;
		n++;
	}
	return n;
}

bool encoding_known(const char *coding, size_t clen)
{
	const struct coding *list[ENCODING_MAX_CHAIN];

	return coding_list(coding, clen, list) >= 0;
}

int enc_out_room(struct enc_out *o, size_t *room)
{
	/* One byte past cap may be written: that is how "more than cap" shows. */
	size_t limit = o->cap + 1, want;
	uint8_t *p;

	if (o->len >= limit)
		return -EMSGSIZE;
	if (o->len == o->alloc) {
		want = o->alloc < 16384 ? 16384 : o->alloc * 2;
		if (want > limit || want < o->alloc)
			want = limit;
		if (!(p = realloc(o->data, want)))
			return -ENOMEM;
		o->data = p;
		o->alloc = want;
	}
	*room = o->alloc - o->len;
	return 0;
}

/* One stage: 0 with the decoded bytes in *o (which the caller frees). */
static int stage(const struct coding *c, const uint8_t *in, size_t n, size_t cap, bool prefix,
		 struct enc_out *o)
{
	int rc = 0;

	*o = (struct enc_out){.cap = cap};
	if (n == 0)
		return 0;
	if (c->decode) {
		rc = c->decode(in, n, o);
		if (rc == 0 && o->len > cap)
			rc = -EMSGSIZE;
	} else {
		if (!(o->data = malloc(n)))
			return -ENOMEM;
		memcpy(o->data, in, n);
		o->len = o->alloc = n;
		if (n > cap)
			rc = -EMSGSIZE;
	}
	if (rc == -EMSGSIZE && prefix) {
		o->len = cap;
		rc = 0;
	}
	return rc;
}

static int decode(const char *coding, size_t clen, const uint8_t *in, size_t inlen, size_t cap,
		  bool prefix, uint8_t **out, size_t *outlen)
{
	static const struct coding identity = {"identity", NULL};
	const struct coding *list[ENCODING_MAX_CHAIN];
	struct enc_out cur = {0}, next;
	int n = coding_list(coding, clen, list), rc = 0;

	*out = NULL;
	*outlen = 0;
	if (n < 0)
		return n;
	if (n == 0)
		list[n++] = &identity;
	for (int i = n - 1; i >= 0; i--) {
		rc = stage(list[i], i == n - 1 ? in : cur.data, i == n - 1 ? inlen : cur.len, cap,
			   prefix, &next);
		free(cur.data);
		cur = next;
		if (rc < 0)
			goto out;
	}
	*out = cur.data;
	*outlen = cur.len;
	if (!*out && !(*out = malloc(1)))
		rc = -ENOMEM;
	return rc;
out:
	free(cur.data);
	return rc;
}

int encoding_decode(const char *coding, size_t clen, const uint8_t *in, size_t inlen, size_t cap,
		    uint8_t **out, size_t *outlen)
{
	return decode(coding, clen, in, inlen, cap, false, out, outlen);
}

int encoding_decode_prefix(const char *coding, size_t clen, const uint8_t *in, size_t inlen,
			   size_t cap, uint8_t **out, size_t *outlen)
{
	return decode(coding, clen, in, inlen, cap, true, out, outlen);
}
