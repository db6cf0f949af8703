/* Runs in the coordinator at start-up and in the spawner on reload: reads
 * the files the scripting and rewrite options name into memory for the
 * workers.  Trusts the options (already checked) but not the files: each
 * is opened without following a symlink, must be a regular file and is
 * read up to a cap; a map_local directory is walked to a bounded depth and
 * count.  Scripts are compiled, never run, to report syntax errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/scripts.h"
#include "core/errf.h"
#include "rewrite/rewrite.h"

struct reader {
	struct optfiles *out;
	const char *option; /* for the error line */
	char *err;
	size_t errlen;
};

static int add_file(struct reader *r, enum optfile_kind kind, const char *path, uint8_t *data,
		    size_t len)
{
	struct optfile *f;

	if (r->out->n >= OPTFILE_MAX_COUNT || r->out->total + len > OPTFILE_MAX_TOTAL) {
		free(data);
		snprintf(r->err, r->errlen,
			 "%s: %s: too many files or bytes for the workers (at most %u files, %u "
			 "KiB in all)",
			 r->option, path, OPTFILE_MAX_COUNT, OPTFILE_MAX_TOTAL >> 10);
		return -EINVAL;
	}
	r->out->v = xrealloc(r->out->v, (r->out->n + 1) * sizeof(*r->out->v));
	f = &r->out->v[r->out->n++];
	f->kind = kind;
	f->path = xstrdup(path);
	f->data = data;
	f->len = len;
	r->out->total += len;
	return 0;
}

/* The whole of an open regular file, up to OPTFILE_MAX_BYTES. */
static int read_fd(int fd, const struct stat *st, uint8_t **data, size_t *len)
{
	size_t cap = (size_t)st->st_size, n = 0;
	ssize_t k;

	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_size > (off_t)OPTFILE_MAX_BYTES)
		return -EFBIG;
	*data = xmalloc(cap + 1);
	while (n <= cap && (k = read(fd, *data + n, cap + 1 - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(*data);
			return -errno;
		}
		n += (size_t)k;
	}
	if (n > cap) { /* grew while we read */
		free(*data);
		return -EFBIG;
	}
	*len = n;
	return 0;
}

static int read_path(struct reader *r, int dirfd, const char *name, const char *shown,
		     uint8_t **data, size_t *len)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	int rc;

	if (fd < 0)
		return errf(r->err, r->errlen, -errno, "%s: cannot read %s", r->option, shown);
	rc = fstat(fd, &st) < 0 ? -errno : read_fd(fd, &st, data, len);
	close(fd);
	if (rc == -EINVAL)
		snprintf(r->err, r->errlen, "%s: %s is not a regular file", r->option, shown);
	else if (rc == -EFBIG)
		snprintf(r->err, r->errlen, "%s: %s is larger than %u KiB", r->option, shown,
			 OPTFILE_MAX_BYTES >> 10);
	else if (rc < 0)
		errf(r->err, r->errlen, rc, "%s: cannot read %s", r->option, shown);
	return rc < 0 ? -EINVAL : 0;
}

static int read_one(struct reader *r, enum optfile_kind kind, const char *path)
{
	uint8_t *data;
	size_t len;

	if (read_path(r, AT_FDCWD, path, path, &data, &len) < 0)
		return -EINVAL;
	return add_file(r, kind, path, data, len);
}

static int read_script(struct reader *r, const char *path)
{
	const struct optfile *f;

	if (read_one(r, OPTFILE_SCRIPT, path) < 0)
		return -EINVAL;
	f = &r->out->v[r->out->n - 1];
	if (optfiles_check_lua(path, f->data, f->len, r->err, r->errlen) < 0) {
		char line[512];

		snprintf(line, sizeof(line), "scripts: %s", r->err);
		snprintf(r->err, r->errlen, "%s", line);
		return -EINVAL;
	}
	return 0;
}

/* Every regular file below dir (symlinks skipped, depth bounded), each
 * stored as "DIR/REL" with DIR as the option wrote it. */
static int walk_dir(struct reader *r, int dirfd, const char *shown, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		close(dirfd);
		return errf(r->err, r->errlen, -errno, "%s: cannot list %s", r->option, shown);
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *sub;
		uint8_t *data;
		size_t len;
		int fd;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s%s%s", shown, shown[strlen(shown) - 1] == '/' ? "" : "/",
				e->d_name);
		if (e->d_type == DT_DIR && depth < OPTFILE_MAX_DEPTH) {
			fd = openat(dirfd, e->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = fd < 0 ? 0 : walk_dir(r, fd, sub, depth + 1);
		} else if (e->d_type == DT_REG) {
			rc = read_path(r, dirfd, e->d_name, sub, &data, &len);
			if (rc == 0)
				rc = add_file(r, OPTFILE_MAP_LOCAL, sub, data, len);
		}
		free(sub);
	}
	closedir(d);
	return rc < 0 ? -EINVAL : 0;
}

/* map_local's path: a file, or a directory read whole. */
static int read_local(struct reader *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && (errno == ENOTDIR || errno == ENOENT || errno == ELOOP))
		return read_one(r, OPTFILE_MAP_LOCAL, path);
	if (fd < 0)
		return errf(r->err, r->errlen, -errno, "%s: cannot read %s", r->option, path);
	return walk_dir(r, fd, path, 0);
}

/* The files one rewrite option's values name. */
static int read_rewrites(struct reader *r, enum rewrite_kind kind, const struct strlist *l)
{
	struct rewrite_spec spec;
	size_t i;
	int rc = 0;

	r->option = rewrite_kind_name(kind);
	for (i = 0; rc == 0 && i < l->n; i++) {
		if (rewrite_parse(kind, l->v[i], &spec, r->err, r->errlen) < 0)
			return -EINVAL;
		if (spec.file != NULL &&
		    optfiles_find(r->out,
				  kind == REWRITE_MAP_LOCAL ? OPTFILE_MAP_LOCAL : OPTFILE_VALUE,
				  spec.file) == NULL)
			rc = kind == REWRITE_MAP_LOCAL ? read_local(r, spec.file)
						       : read_one(r, OPTFILE_VALUE, spec.file);
		rewrite_spec_free(&spec);
	}
	return rc;
}

int optfiles_read(const struct options *o, struct optfiles *out, char *err, size_t errlen)
{
	static const struct {
		enum rewrite_kind kind;
		size_t off;
	} rw[] = {
	    {REWRITE_MODIFY_HEADERS, offsetof(struct options, modify_headers)},
	    {REWRITE_MODIFY_BODY, offsetof(struct options, modify_body)},
	    {REWRITE_MAP_LOCAL, offsetof(struct options, map_local)},
	};
	struct reader r = {out, "scripts", err, errlen};
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < o->scripts.n; i++)
		if (optfiles_find(out, OPTFILE_SCRIPT, o->scripts.v[i]) == NULL &&
		    read_script(&r, o->scripts.v[i]) < 0)
			goto fail;
	for (i = 0; i < ARRAY_SIZE(rw); i++)
		if (read_rewrites(&r, rw[i].kind,
				  (const struct strlist *)((const char *)o + rw[i].off)) < 0)
			goto fail;
	return 0;
fail:
	optfiles_free(out);
	return -EINVAL;
}

void optfiles_free(struct optfiles *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].data);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const struct optfile *optfiles_find(const struct optfiles *f, enum optfile_kind kind,
				    const char *path)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].kind == kind && strcmp(f->v[i].path, path) == 0)
			return &f->v[i];
	return NULL;
}

Snare__OptionFile **optfiles_pb(const struct optfiles *f, size_t *n)
{
	Snare__OptionFile **v = xcalloc(f->n ? f->n : 1, sizeof(*v));
	size_t i;

	for (i = 0; i < f->n; i++) {
		v[i] = xmalloc(sizeof(*v[i]));
		snare__option_file__init(v[i]);
		v[i]->has_kind = v[i]->has_data = 1;
		v[i]->kind = f->v[i].kind;
		v[i]->path = f->v[i].path;
		v[i]->data.data = f->v[i].data;
		v[i]->data.len = f->v[i].len;
	}
	*n = f->n;
	return v;
}

void optfiles_pb_free(Snare__OptionFile **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void optfiles_from_pb(Snare__OptionFile *const *v, size_t n, struct optfiles *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->v = xcalloc(n ? n : 1, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		struct optfile *f = &out->v[i];

		f->kind = (enum optfile_kind)v[i]->kind;
		f->path = xstrdup(v[i]->path);
		f->len = v[i]->data.len;
		f->data = xmalloc(f->len ? f->len : 1);
		if (f->len)
			memcpy(f->data, v[i]->data.data, f->len);
		out->total += f->len;
	}
	out->n = n;
}

/* lua_load's reader over one buffer. */
struct chunk {
	const char *p;
	size_t len;
};

static const char *chunk_read(lua_State *L, void *arg, size_t *size)
{
	struct chunk *c = arg;
	const char *p = c->p;

	*size = c->len;
	c->p = NULL;
	c->len = 0;
	return p;
}

int optfiles_check_lua(const char *path, const void *text, size_t len, char *err, size_t errlen)
{
	struct chunk c = {text, len};
	char *name = xasprintf("@%s", path);
	lua_State *L = luaL_newstate(); /* no libraries: nothing here can run */
	int rc;

	if (L == NULL) {
		free(name);
		snprintf(err, errlen, "%s: out of memory", path);
		return -EINVAL;
	}
	rc = lua_load(L, chunk_read, &c, name, "t");
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		snprintf(err, errlen, "%s", msg ? msg : "cannot be loaded");
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
	}
	lua_close(L);
	free(name);
	return rc == LUA_OK ? 0 : -EINVAL;
}
