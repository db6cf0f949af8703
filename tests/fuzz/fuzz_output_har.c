/* Fuzz target (test process only): any bytes as a serialized snare.Flow
 * (what a worker or a flow file may hold), made into HAR and matched by a
 * few filters.  The HAR must always be JSON that parses again (a NUL byte
 * in a header is an escaped NUL: valid JSON, read by jansson when asked). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "filter/filter.h"
#include "output/har.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void match_some(const Snare__Flow *f)
{
	static const char *const exprs[] = {"~b a", "~h host", "~u / & ~s", "~a | ~q",
					    "~src 1 ~dst 2"};
	char err[128];

	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		struct filter *flt;

		if (filter_compile(exprs[i], &flt, err, sizeof(err)) != 0)
			__builtin_trap();
		(void)filter_match(flt, f, NULL);
		filter_free(flt);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Snare__Flow *f = snare__flow__unpack(NULL, size, data);
	const Snare__Flow *fl[2];
	json_error_t e;
	json_t *doc;
	size_t len;
	char *text;

	if (!f)
		return 0;
	fl[0] = fl[1] = f;
	text = har_from_flows(fl, 2, &len);
	if (!text || !(doc = json_loadb(text, len, JSON_ALLOW_NUL, &e)))
		__builtin_trap();
	json_decref(doc);
	free(text);
	match_some(f);
	snare__flow__free_unpacked(f, NULL);
	return 0;
}
