/* Runs in a worker: loads the scripts and the built-in rewrites that the
 * worker configuration carries (the coordinator read the files; the worker
 * opens none) and runs the lifecycle events.  A new configuration comes
 * with a new worker, so "reload" is: the old worker runs done, the new one
 * makes new states and runs load.  Script texts are untrusted code, run by
 * daemon/script/ under its limits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "worker/hooks.h"
#include "worker/worker_ctx.h"

#define OPTFILE_SCRIPT 1
#define OPTFILE_VALUE 3

struct hooks hooks;

static int load_scripts(const Snare__WorkerConfig *cfg, char *err, size_t errlen)
{
	struct script_limits lim = {SCRIPT_DEFAULT_MEMORY, SCRIPT_DEFAULT_INSTRUCTIONS};
	struct script *s;
	size_t i;
	char e[400];

	for (i = 0; i < cfg->n_files; i++) {
		const Snare__OptionFile *f = cfg->files[i];

		if (!f->has_kind || f->kind != OPTFILE_SCRIPT || f->path == NULL)
			continue;
		if (script_load(f->path, (const char *)f->data.data, f->data.len, &lim, NULL, NULL,
				&s, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "script %s: %s", f->path, e);
			return -EINVAL;
		}
		script_set_add(&hooks.scripts, s);
	}
	return 0;
}

/* The "@file" value of a modify_headers/modify_body spec, from the files. */
static int rewrite_file(const Snare__WorkerConfig *cfg, struct rewrite_spec *s, char *err,
			size_t errlen)
{
	size_t i;

	if (s->file == NULL || s->kind == REWRITE_MAP_LOCAL || s->replacement)
		return 0;
	for (i = 0; i < cfg->n_files; i++) {
		const Snare__OptionFile *f = cfg->files[i];
		size_t len = f->data.len;

		if (!f->has_kind || f->kind != OPTFILE_VALUE || f->path == NULL ||
		    strcmp(f->path, s->file) != 0)
			continue;
		/* a header value from a file: without the file's last line end */
		while (s->kind == REWRITE_MODIFY_HEADERS && len > 0 &&
		       (f->data.data[len - 1] == '\n' || f->data.data[len - 1] == '\r'))
			len--;
		return rewrite_spec_set_file(s, f->data.data, len, err, errlen);
	}
	snprintf(err, errlen, "%s: %s was not sent", rewrite_kind_name(s->kind), s->file);
	return -EINVAL;
}

static int load_rewrites(const Snare__WorkerConfig *cfg, char *err, size_t errlen)
{
	const struct {
		enum rewrite_kind kind;
		const struct strlist *l;
	} rw[] = {
	    {REWRITE_MODIFY_HEADERS, &wk->opts.modify_headers},
	    {REWRITE_MODIFY_BODY, &wk->opts.modify_body},
	    {REWRITE_MAP_REMOTE, &wk->opts.map_remote},
	    {REWRITE_MAP_LOCAL, &wk->opts.map_local},
	    {REWRITE_BLOCK_LIST, &wk->opts.block_list},
	};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(rw); i++)
		for (j = 0; j < rw[i].l->n; j++)
			if (rewrite_set_add(&hooks.rewrites, rw[i].kind, rw[i].l->v[j], err,
					    errlen) < 0)
				return -EINVAL;
	for (i = 0; i < hooks.rewrites.n; i++)
		if (rewrite_file(cfg, &hooks.rewrites.v[i], err, errlen) < 0)
			return -EINVAL;
	hooks_local_load(cfg, &hooks.rewrites);
	hooks.rewrites.anticache = wk->opts.anticache;
	hooks.rewrites.anticomp = wk->opts.anticomp;
	return 0;
}

int hooks_configure(const Snare__WorkerConfig *cfg, char *err, size_t errlen)
{
	if (load_rewrites(cfg, err, errlen) < 0 || load_scripts(cfg, err, errlen) < 0) {
		script_set_free(&hooks.scripts);
		rewrite_set_free(&hooks.rewrites);
		hooks_local_free();
		return -EINVAL;
	}
	hooks.active = hooks.scripts.n > 0 || hooks.rewrites.n > 0 || hooks.rewrites.anticache ||
		       hooks.rewrites.anticomp;
	hooks.want_req = hooks.rewrites.n > 0 || hooks.rewrites.anticache ||
			 hooks.rewrites.anticomp ||
			 script_set_wants(&hooks.scripts, SCRIPT_EV_REQUESTHEADERS) ||
			 script_set_wants(&hooks.scripts, SCRIPT_EV_REQUEST);
	hooks.want_resp = hooks.rewrites.n > 0 ||
			  script_set_wants(&hooks.scripts, SCRIPT_EV_RESPONSEHEADERS) ||
			  script_set_wants(&hooks.scripts, SCRIPT_EV_RESPONSE);
	script_set_call(&hooks.scripts, SCRIPT_EV_LOAD, NULL);
	script_set_call(&hooks.scripts, SCRIPT_EV_CONFIGURE, NULL);
	script_set_call(&hooks.scripts, SCRIPT_EV_RUNNING, NULL);
	return 0;
}

void hooks_done(void)
{
	script_set_call(&hooks.scripts, SCRIPT_EV_DONE, NULL);
	script_set_free(&hooks.scripts);
	rewrite_set_free(&hooks.rewrites);
	hooks_local_free();
	hooks.active = false;
}
