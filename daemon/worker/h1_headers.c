/* Runs in a worker: header lines of heads snare writes itself
 * (h1_headers.h), one writer for hooks_http.c and hold_edit.c.  Trusts its
 * callers to have checked the names and values. */
#include <errno.h>
#include <strings.h>

#include "worker/h1_headers.h"

bool h1_is_framing(const ProtobufCBinaryData *nm)
{
	return (nm->len == 14 && strncasecmp((const char *)nm->data, "content-length", 14) == 0) ||
	       (nm->len == 17 && strncasecmp((const char *)nm->data, "transfer-encoding", 17) == 0);
}

int h1_put_headers(struct buf *b, Snare__Header *const *hv, size_t n, bool framing)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const ProtobufCBinaryData *nm = &hv[i]->name, *v = &hv[i]->value;

		if (!framing && h1_is_framing(nm))
			continue;
		r |= buf_append(b, nm->data, nm->len);
		r |= buf_append(b, ": ", 2);
		r |= buf_append(b, v->data, v->len);
		r |= buf_append(b, "\r\n", 2);
	}
	return r ? -ENOBUFS : 0;
}
