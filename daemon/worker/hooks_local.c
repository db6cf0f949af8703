/* Runs in a worker: map_local, served from memory.  The worker opens no
 * files, so the coordinator (at start-up) and the spawner (on reload) read
 * each map_local file, or every regular file below a map_local directory
 * (no symlinks, bounded depth, count and bytes: coordinator/scriptfiles.c),
 * and the worker configuration carries their bytes by path.  Here the
 * request's candidates (daemon/rewrite: never outside the spec's directory,
 * ".." refused) are looked up among those paths only, so no URL can reach a
 * file that was not read for that purpose.  Trusts the configuration; the
 * URL is untrusted. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "worker/hooks.h"

#define OPTFILE_MAP_LOCAL 2

struct local_file {
	char *path; /* "DIR/REL" as the coordinator stored it, or the file's path */
	uint8_t *data;
	size_t len;
};

static struct {
	struct local_file *v;
	size_t n;
} local;

static const struct local_file *local_find(const char *path)
{
	for (size_t i = 0; i < local.n; i++)
		if (strcmp(local.v[i].path, path) == 0)
			return &local.v[i];
	return NULL;
}

void hooks_local_load(const Snare__WorkerConfig *cfg, struct rewrite_set *set)
{
	size_t i;

	hooks_local_free();
	for (i = 0; i < cfg->n_files; i++) {
		const Snare__OptionFile *f = cfg->files[i];
		struct local_file *l;

		if (!f->has_kind || f->kind != OPTFILE_MAP_LOCAL || f->path == NULL)
			continue;
		local.v = xrealloc(local.v, (local.n + 1) * sizeof(*local.v));
		l = &local.v[local.n++];
		l->path = xstrdup(f->path);
		l->len = f->data.len;
		l->data = xmalloc(l->len ? l->len : 1);
		if (l->len)
			memcpy(l->data, f->data.data, l->len);
	}
	/* A spec names a file when the coordinator sent one by exactly its
	 * path; otherwise it named a directory (its files came as DIR/REL). */
	for (i = 0; i < set->n; i++)
		if (set->v[i].kind == REWRITE_MAP_LOCAL)
			set->v[i].local_is_dir = local_find(set->v[i].file) == NULL;
}

void hooks_local_free(void)
{
	for (size_t i = 0; i < local.n; i++) {
		free(local.v[i].path);
		free(local.v[i].data);
	}
	free(local.v);
	local.v = NULL;
	local.n = 0;
}

bool hooks_local_wanted(void)
{
	for (size_t i = 0; i < hooks.rewrites.n; i++)
		if (hooks.rewrites.v[i].kind == REWRITE_MAP_LOCAL)
			return true;
	return false;
}

bool hooks_map_local(struct script_flow *sf)
{
	struct filter_extra x = {.marked = sf->marked};
	const struct local_file *hit = NULL;
	char **paths;
	size_t n, i;

	if (rewrite_map_local_candidates(&hooks.rewrites, sf->flow, &x, &paths, &n) < 0)
		return false;
	if (n == 0 && !rewrite_map_local_matches(&hooks.rewrites, sf->flow, &x))
		return false; /* no spec matched (n == 0 and a match: paths refused) */
	for (i = 0; i < n && hit == NULL; i++)
		hit = local_find(paths[i]);
	/* mitmproxy answers 404 when no candidate is a file */
	rewrite_map_local_serve(sf->flow, hit ? hit->path : NULL, hit ? hit->data : NULL,
				hit ? hit->len : 0, &sf->edits);
	rewrite_paths_free(paths, n);
	return true;
}
