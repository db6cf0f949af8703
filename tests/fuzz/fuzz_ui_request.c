/* Fuzz target for what the web interface reads of a browser's request
 * besides its head (which daemon/http1/ parses and has its own targets):
 * the access rules over Host, Cookie, token and CSRF values
 * (ui/ui_access.c) and percent-decoding of paths and query parameters
 * (ui/ui_param.c).  The input is split at newlines into method, path,
 * token, Host, Cookie, CSRF and the query string.  Checks: the verdict is
 * one of the known ones, and no random input gets in. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_access.h"
#include "ui/ui_param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"filter", "token", "q", "id", "limit", ""};
	char *buf = malloc(size + 1), *f[FIELDS] = {0}, out[512];
	struct ui_access a;
	struct ui_access_req r;
	enum ui_access_verdict v;
	size_t i, k = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	f[k++] = buf;
	for (i = 0; i < size && k < FIELDS; i++)
		if (buf[i] == '\n') {
			buf[i] = '\0';
			f[k++] = buf + i + 1;
		}
	ui_access_init(&a, "127.0.0.1", 8081, true,
		       "aa11223344556677889900aabbccddeeff00112233445566778899aabbccddee",
		       "cc11223344556677889900aabbccddeeff00112233445566778899aabbccddee");
	ui_access_add_session(&a,
			      "5e5511223344556677889900aabbccddeeff00112233445566778899aabbccdd");
	r = (struct ui_access_req){f[0], f[1], f[2], f[3], f[4], f[5]};
	v = ui_access_check(&a, &r);
	assert(v >= UI_ALLOW && v <= UI_DENY_CSRF);
	for (i = 0; f[6] && i < sizeof(names) / sizeof(names[0]); i++)
		if (ui_query_param(f[6], names[i], out, sizeof(out)))
			assert(strlen(out) < sizeof(out));
	if (f[1] && ui_pct_decode(f[1], strlen(f[1]), out, sizeof(out), false))
		assert(strlen(out) < sizeof(out));
	free(buf);
	return 0;
}
