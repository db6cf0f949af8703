/* Copies of recorded flows the replay index and queue own, and a header
 * lookup returning an owned string.  The flows come from flow files: their
 * shape is protobuf-c's, their contents untrusted. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay/replay_int.h"

Snare__Flow *replay_flow_copy(const Snare__Flow *f)
{
	size_t n = snare__flow__get_packed_size(f);
	uint8_t *p = malloc(n ? n : 1);
	Snare__Flow *c;

	if (!p)
		return NULL;
	snare__flow__pack(f, p);
	c = snare__flow__unpack(NULL, n, p);
	free(p);
	return c;
}

char *replay_header_dup(Snare__Header *const *h, size_t n, const char *name)
{
	size_t k = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (h[i]->name.len == k && strncasecmp((const char *)h[i]->name.data, name, k) == 0)
			return xstrndup(h[i]->value.data ? (const char *)h[i]->value.data : "",
					h[i]->value.len);
	return NULL;
}
