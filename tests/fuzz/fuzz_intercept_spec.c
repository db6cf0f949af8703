/* Fuzz target (test process only): any bytes as an intercept spec, and as a
 * redirector channel frame in both directions.  A compiled table must pass
 * intercept_table_valid, and its description and decision must stay in
 * bounds; the decoder must never accept what the table forbids. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intercept/intercept.h"
#include "intercept/intercept_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_frame(const uint8_t *data, size_t size)
{
	struct intercept_msg m = {0};

	for (int dir = 0; dir < INTERCEPT_DIR_COUNT; dir++)
		for (int st = 0; st < INTERCEPT_ST_COUNT; st++)
			if (intercept_decode(dir, st, 1, data, size, st, &m) == 0) {
				if (!intercept_authorized(dir, m.body_case, st))
					__builtin_trap();
				intercept_msg_free(&m);
			}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char spec[INTERCEPT_SPEC_MAX + 8], desc[INTERCEPT_DESC_MAX];
	char err[128], comm[REDIR_COMM_LEN] = "curl";
	struct redir_spec t;
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;

	memcpy(spec, data, n);
	spec[n] = '\0';
	if (intercept_compile(spec, &t, err, sizeof(err)) == 0) {
		if (!intercept_table_valid(&t))
			__builtin_trap();
		intercept_describe(&t, desc, sizeof(desc));
		(void)intercept_decide(&t, 42, comm);
	} else if (t.n != 0 || strnlen(err, sizeof(err)) == sizeof(err)) {
		__builtin_trap();
	}
	fuzz_frame(data, size);
	return 0;
}
