/* libFuzzer target for the rewrite option parser (rewrite module).  The
 * first byte picks the kind, the rest is the option value; a spec that
 * parses is applied to a small flow, so the regular expressions and the
 * substitution run on what the fuzzer chose. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void apply_one(struct rewrite_set *set)
{
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__HttpRequest r = SNARE__HTTP_REQUEST__INIT;
	Snare__Header h = SNARE__HEADER__INIT, *hp = &h;
	struct flowedit e;
	char **paths;
	size_t n;

	h.has_name = h.has_value = 1;
	h.name = (ProtobufCBinaryData){4, (uint8_t *)"Host"};
	h.value = (ProtobufCBinaryData){8, (uint8_t *)"a.test:8"};
	r.method = "GET";
	r.scheme = "http";
	r.host = "a.test";
	r.has_port = 1;
	r.port = 8;
	r.path = "/x/y.html?q=1";
	r.headers = &hp;
	r.n_headers = 1;
	r.has_content = 1;
	r.content = (ProtobufCBinaryData){11, (uint8_t *)"foo\0bar foo"};
	f.request = &r;
	flowedit_init(&e);
	for (int hook = REWRITE_REQUESTHEADERS; hook <= REWRITE_RESPONSE; hook++) {
		(void)rewrite_apply(set, hook, REWRITE_BEFORE_SCRIPTS, &f, NULL, &e);
		(void)rewrite_apply(set, hook, REWRITE_AFTER_SCRIPTS, &f, NULL, &e);
	}
	f.response = NULL;
	if (rewrite_map_local_candidates(set, &f, NULL, &paths, &n) == 0) {
		const struct rewrite_spec *sp = &set->v[0];
		size_t dl = sp->file ? strlen(sp->file) : 0;

		while (dl > 1 && sp->file[dl - 1] == '/')
			dl--;
		/* A candidate below a directory never climbs out of it. */
		for (size_t i = 0; sp->local_is_dir && i < n; i++)
			if (strncmp(paths[i], sp->file, dl) != 0 || strstr(paths[i] + dl, "/../") ||
			    strcmp(paths[i] + dl, "/..") == 0)
				abort();
		rewrite_paths_free(paths, n);
	}
	flowedit_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rewrite_set set = {0};
	char err[256], *opt;

	if (size < 1 || size > 512)
		return 0;
	opt = malloc(size);
	memcpy(opt, data + 1, size - 1);
	opt[size - 1] = 0;
	if (rewrite_set_add(&set, (enum rewrite_kind)(data[0] % REWRITE_KIND_COUNT), opt, err,
			    sizeof(err)) == 0) {
		if (set.v[0].file && !set.v[0].replacement)
			(void)rewrite_spec_set_file(&set.v[0], "x", 1, err, sizeof(err));
		apply_one(&set);
	} else if (!memchr(err, 0, sizeof(err)) || strchr(err, '\n')) {
		abort();
	}
	rewrite_set_free(&set);
	free(opt);
	return 0;
}
