/* Runs in the ui, before its sandbox: the page's files (web/: HTML, CSS,
 * JavaScript, images) read into memory, so that serving them needs no file
 * access later.  Only files found here are ever served, looked up by exact
 * name: a request path cannot reach anything else.  Trusts the folder (it
 * ships with snare or the user named it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/ui_int.h"

#define STATIC_MAX_FILES 256
#define STATIC_MAX_BYTES (32u << 20)
#define STATIC_MAX_DEPTH 3

struct ui_file {
	char *path; /* "/app.js" */
	uint8_t *data;
	size_t len;
	const char *ctype;
};

struct ui_static {
	struct ui_file files[STATIC_MAX_FILES];
	size_t n, bytes;
};

static const struct {
	const char *ext, *ctype;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *ctype_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].ctype;
	return "application/octet-stream";
}

static int read_file(struct ui_static *s, int dfd, const char *name, const char *rel)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct ui_file *f;
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || s->n == STATIC_MAX_FILES ||
	    s->bytes + (size_t)st.st_size > STATIC_MAX_BYTES) {
		close(fd);
		return -EFBIG;
	}
	f = &s->files[s->n];
	f->data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, f->data + got, (size_t)st.st_size - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	f->len = got;
	f->path = xasprintf("%s/%s", rel, name);
	f->ctype = ctype_of(name);
	s->bytes += got;
	s->n++;
	return 0;
}

static int load_dir(struct ui_static *s, int dfd, const char *rel, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return -errno;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* dot files, . and .. */
		if (e->d_type == DT_REG) {
			rc = read_file(s, dirfd(d), e->d_name, rel);
		} else if (e->d_type == DT_DIR && depth < STATIC_MAX_DEPTH &&
			   strcmp(e->d_name, "node_modules") != 0) {
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			char *r2 = xasprintf("%s/%s", rel, e->d_name);

			rc = sub < 0 ? -errno : load_dir(s, sub, r2, depth + 1);
			free(r2);
		}
	}
	closedir(d);
	return rc;
}

struct ui_static *ui_static_load(const char *dir, char *err, size_t errlen)
{
	struct ui_static *s = xcalloc(1, sizeof(*s));
	int dfd, rc;

	if (dir == NULL)
		return s; /* the API alone */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dfd < 0 ? -errno : load_dir(s, dfd, "", 0);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", dir,
			 rc == -EFBIG ? "too many or too large files" : strerror(-rc));
		ui_static_free(s);
		return NULL;
	}
	return s;
}

bool ui_static_get(const struct ui_static *s, const char *path, const uint8_t **data, size_t *len,
		   const char **ctype)
{
	size_t i;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (i = 0; s && i < s->n; i++) {
		if (strcmp(s->files[i].path, path) != 0)
			continue;
		*data = s->files[i].data;
		*len = s->files[i].len;
		*ctype = s->files[i].ctype;
		return true;
	}
	return false;
}

void ui_static_free(struct ui_static *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s);
}
