/* Opening files that hold secrets.  Trusts nothing about the path: the last
 * component is never followed when it is a symlink, and ownership and
 * permissions are checked on the open descriptor (fstat), not on the name,
 * so the file cannot be swapped between the check and the use. */
#include "core/errf.h"
#include "core/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_error(const char *path, const char *what, char *err, size_t errlen)
{
	int e = errno;

	if (e == ELOOP)
		snprintf(err, errlen,
			 "%s: is a symbolic link; snare %s only a file it names directly (give "
			 "the link's target instead)",
			 path, what);
	else
		errf(err, errlen, -e, "%s", path);
	return -e;
}

static int not_ours(const char *path, const struct stat *st, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "%s: owned by uid %u, not by uid %u that snare runs as; refusing it (remove it, "
		 "or chown %u %s if it is yours)",
		 path, (unsigned)st->st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
	return -EPERM;
}

/* A file we may write into: ours, or a character device of root's. */
static bool writable_owner_ok(const struct stat *st)
{
	return st->st_uid == geteuid() || (S_ISCHR(st->st_mode) && st->st_uid == 0);
}

int safefile_open_write(const char *path, int flags, char *err, size_t errlen)
{
	int trunc = flags & O_TRUNC;
	int mode = flags & O_RDWR ? O_RDWR : O_WRONLY;
	struct stat st;
	int fd;

	flags = mode | (flags & O_APPEND) | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	fd = open(path, flags, 0600);
	if (fd < 0)
		return open_error(path, "writes", err, errlen);
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errf(err, errlen, -e, "%s", path);
		return -e;
	}
	if (!writable_owner_ok(&st)) {
		close(fd);
		return not_ours(path, &st, err, errlen);
	}
	if (trunc && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		int e = errno;

		close(fd);
		errf(err, errlen, -e, "%s", path);
		return -e;
	}
	return fd;
}

static int secret_check(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st->st_uid != geteuid())
		return not_ours(path, st, err, errlen);
	if (st->st_mode & 077) {
		snprintf(err, errlen,
			 "%s: a private key readable or writable by group or others (mode %04o); "
			 "run: chmod 600 %s",
			 path, (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int safefile_open_secret(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return open_error(path, "reads a key from", err, errlen);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		errf(err, errlen, rc, "%s", path);
	} else {
		rc = secret_check(path, &st, err, errlen);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int safefile_check_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		errf(err, errlen, -errno, "%s", path);
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: the conf dir is not a directory", path);
		return -ENOTDIR;
	}
	if (st.st_mode & 022) {
		snprintf(err, errlen,
			 "%s: a conf dir writable by group or others (mode %04o) could have its "
			 "files replaced; run: chmod go-w %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}
