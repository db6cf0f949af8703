/* Runs in the coordinator: holds the files the scripting and rewrite
 * options name (read at start-up, replaced by each reload) for the worker
 * configuration, and watches the scripts for changes as mitmproxy does.
 * The inotify watches are made at start-up, before the sandbox (which
 * allows no path lookups); a change asks the spawner for a reload, which
 * reads the files again.  Trusts the options; inotify names are compared,
 * never opened. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "coordinator/scripts.h"
#include "core/log.h"

#define RELOAD_SETTLE_MS 100 /* one save is several events: reload once */

struct watch {
	int wd;
	char *base;   /* the script's file name in that directory */
	char *script; /* as the option names it */
};

struct coord_scripts {
	struct optfiles files;
	int ifd;
	struct loop_io io;
	struct watch *w;
	size_t nw;
	const char *changed; /* a script that changed, until the reload */
	struct loop_timer settle;
};

int coord_scripts_load(struct coord *co, char *err, size_t errlen)
{
	struct coord_scripts *s = xcalloc(1, sizeof(*s));
	const struct options *o = &co->cli->opts;

	s->ifd = -1;
	co->scripts = s;
	if (optfiles_read(o, &s->files, err, errlen) < 0) {
		coord_scripts_free(co);
		return -EINVAL;
	}
	return 0;
}

static void add_watch(struct coord_scripts *s, const char *script)
{
	char *dcopy = xstrdup(script), *bcopy = xstrdup(script);
	int wd = inotify_add_watch(s->ifd, dirname(dcopy),
				   IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR);

	if (wd < 0) {
		log_err(LOG_LVL_WARN, -errno, "not watching %s for changes", script);
	} else {
		s->w = xrealloc(s->w, (s->nw + 1) * sizeof(*s->w));
		s->w[s->nw].wd = wd;
		s->w[s->nw].base = xstrdup(basename(bcopy));
		s->w[s->nw++].script = xstrdup(script);
	}
	free(dcopy);
	free(bcopy);
}

static void on_settle(struct loop_timer *t)
{
	struct coord *co = t->arg;
	struct coord_scripts *s = co->scripts;
	int rc = coord_spawner_reload(co);

	if (rc == -EBUSY) { /* a reload is under way: this one after it */
		loop_timer_arm(co->loop, &s->settle, RELOAD_SETTLE_MS);
		return;
	}
	log_info("Reloading script %s", s->changed);
	s->changed = NULL;
	if (rc < 0)
		log_err(LOG_LVL_ERROR, rc, "reload failed; keeping the current scripts");
}

static void on_inotify(struct loop_io *io, uint32_t events)
{
	struct coord *co = io->arg;
	struct coord_scripts *s = co->scripts;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(s->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			for (size_t i = 0; ev->len && i < s->nw; i++)
				if (s->w[i].wd == ev->wd && strcmp(s->w[i].base, ev->name) == 0)
					s->changed = s->w[i].script;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (s->changed && !co->stopping)
		loop_timer_arm(co->loop, &s->settle, RELOAD_SETTLE_MS);
}

int coord_scripts_watch(struct coord *co)
{
	struct coord_scripts *s = co->scripts;
	const struct strlist *l = &co->cli->opts.scripts;
	size_t i;

	if (s == NULL || l->n == 0)
		return 0;
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd < 0) {
		log_err(LOG_LVL_WARN, -errno, "not watching the scripts for changes");
		return 0;
	}
	for (i = 0; i < l->n; i++)
		add_watch(s, l->v[i]);
	loop_timer_init(&s->settle, on_settle, co);
	loop_io_init(&s->io, s->ifd, on_inotify, co);
	return loop_io_set(co->loop, &s->io, EPOLLIN);
}

Snare__OptionFile **coord_scripts_pb(struct coord *co, size_t *n)
{
	static const struct optfiles none;

	return optfiles_pb(co->scripts ? &co->scripts->files : &none, n);
}

void coord_scripts_replace(struct coord *co, Snare__OptionFile *const *v, size_t n)
{
	if (co->scripts == NULL)
		return;
	optfiles_free(&co->scripts->files);
	optfiles_from_pb(v, n, &co->scripts->files);
}

void coord_scripts_free(struct coord *co)
{
	struct coord_scripts *s = co->scripts;

	if (s == NULL)
		return;
	if (s->ifd >= 0) {
		loop_timer_cancel(co->loop, &s->settle);
		loop_io_del(co->loop, &s->io);
		close(s->ifd);
	}
	for (size_t i = 0; i < s->nw; i++) {
		free(s->w[i].base);
		free(s->w[i].script);
	}
	free(s->w);
	optfiles_free(&s->files);
	free(s);
	co->scripts = NULL;
}
