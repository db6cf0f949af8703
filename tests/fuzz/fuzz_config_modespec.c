/* libFuzzer target for the mode-spec and server-spec parsers (config
 * module).  The input is one spec; it is also fed to the server-spec parser,
 * the intercept-spec check and, split at newlines, the multi-mode check. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/modespec.h"

#define FUZZ_MAX_MODES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_spec(const char *s)
{
	struct mode_spec m;
	struct server_spec ss;
	char err[512], desc[512];

	if (modespec_parse(s, &m, err, sizeof(err)) == 0) {
		modespec_description(&m, desc, sizeof(desc));
		(void)modespec_listen_port(&m, -1);
		(void)modespec_listen_host(&m, "");
		modespec_free(&m);
	}
	if (server_spec_parse(s, "https", &ss, err, sizeof(err)) == 0 && ss.host[255] != '\0')
		abort();
	(void)intercept_spec_validate(s);
}

/* Newline-separated specs as one --mode set. */
static void spec_set(char *text)
{
	struct mode_spec m[FUZZ_MAX_MODES];
	char err[512], *line, *save = NULL;
	size_t n = 0, i;

	for (line = strtok_r(text, "\n", &save); line && n < FUZZ_MAX_MODES;
	     line = strtok_r(NULL, "\n", &save))
		if (modespec_parse(line, &m[n], err, sizeof(err)) == 0)
			n++;
	(void)modespec_check_set(m, n, "", -1, err, sizeof(err));
	(void)modespec_check_set(m, n, "127.0.0.1", 8080, err, sizeof(err));
	for (i = 0; i < n; i++)
		modespec_free(&m[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 16384)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	one_spec(s);
	spec_set(s);
	free(s);
	return 0;
}
