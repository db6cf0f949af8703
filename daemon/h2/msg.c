/* Runs in the worker. struct h2_msg: an owned message head (pseudo-headers and fields in order)
 * for received header blocks, trailers to send and the HTTP/1 mappings. Trusts its caller. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "h2/h2.h"
#include "core/unconst.h"

/* Field lists are bounded by whoever fills them (max_header_list, the h1 parser's limits). */
#define H2_MSG_MAX_FIELDS 4096

void h2_msg_init(struct h2_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void h2_msg_free(struct h2_msg *m)
{
	for (size_t i = 0; i < m->nfields; i++)
		free(unconst(m->fields[i].name));
	free(m->fields);
	free(m->method);
	free(m->scheme);
	free(m->authority);
	free(m->path);
	free(m->protocol);
	h2_msg_init(m);
}

int h2_msg_add(struct h2_msg *m, const char *name, size_t nlen, const char *value, size_t vlen)
{
	char *b;

	if (m->nfields >= H2_MSG_MAX_FIELDS)
		return -E2BIG;
	if (m->nfields == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->fields = xrealloc(m->fields, m->cap * sizeof(*m->fields));
	}
	b = xmalloc(nlen + vlen + 2);
	memcpy(b, name, nlen);
	b[nlen] = 0;
	memcpy(b + nlen + 1, value, vlen);
	b[nlen + 1 + vlen] = 0;
	m->fields[m->nfields++] = (struct h2_field){b, nlen, b + nlen + 1, vlen};
	return 0;
}

struct h2_head h2_msg_head(const struct h2_msg *m)
{
	return (struct h2_head){
	    .method = m->method,
	    .scheme = m->scheme,
	    .authority = m->authority,
	    .path = m->path,
	    .protocol = m->protocol,
	    .status = m->status,
	    .fields = m->fields,
	    .nfields = m->nfields,
	};
}
