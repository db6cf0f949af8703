/* Fuzz target (test process only): any bytes as a filter expression.  A
 * compiled filter is matched against an empty flow and a small HTTP flow;
 * a refused one must leave a single line of error, naming a column. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/unconst.h"
#include "filter/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void match_some(const struct filter *f)
{
	static char body[] = "hello\0world";
	Snare__Flow flow;
	Snare__HttpRequest req;
	Snare__Header h, *hs[1] = {&h};
	struct filter_extra x = {.marked = true};

	snare__flow__init(&flow);
	(void)filter_match(f, &flow, NULL);
	snare__http_request__init(&req);
	snare__header__init(&h);
	h.has_name = h.has_value = true;
	h.name = (ProtobufCBinaryData){4, (uint8_t *)"Host"};
	h.value = (ProtobufCBinaryData){6, (uint8_t *)"[::1]:"};
	req.method = "GET";
	req.host = "a.test";
	req.path = "/";
	req.headers = hs;
	req.n_headers = 1;
	req.has_content = true;
	req.content = (ProtobufCBinaryData){sizeof(body) - 1, unconst(body)};
	flow.request = &req;
	(void)filter_match(f, &flow, &x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char expr[9000];
	char err[160];
	struct filter *f;
	size_t n = size < sizeof(expr) - 1 ? size : sizeof(expr) - 1;

	memcpy(expr, data, n);
	expr[n] = '\0';
	if (filter_compile(expr, &f, err, sizeof(err)) == 0) {
		match_some(f);
		filter_free(f);
	} else if (f || !strstr(err, " at column ") || strchr(err, '\n')) {
		__builtin_trap();
	}
	return 0;
}
