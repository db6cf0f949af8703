/* Unit tests for core/safefile.c: files for secrets are not opened through a
 * symlink, another user's file is refused before it is truncated, new files
 * are 0600, private keys must be ours and unreadable to others, and a conf
 * dir must not be writable by others.  The other-owner cases need root
 * (chown to 65534) and are skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/safefile.h"

#define OTHER_UID 65534

struct fx {
	char dir[64];
	char path[128], link[128], err[512];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/snare-safefile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	snprintf(f->link, sizeof(f->link), "%s/link", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->path);
	unlink(f->link);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static void spit(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_write_new_file_0600(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(0);
	int fd = safefile_open_write(f->path, O_TRUNC, f->err, sizeof(f->err));
	struct stat st;

	umask(old);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_write_truncates_and_appends_own_file(void **state)
{
	struct fx *f = *state;
	int fd;

	spit(f->path, "0123456789", 0600);
	fd = safefile_open_write(f->path, O_APPEND, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ab", 2), 2);
	close(fd);
	assert_int_equal(size_of(f->path), 12);
	fd = safefile_open_write(f->path, O_TRUNC, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(size_of(f->path), 0);
}

static void test_write_refuses_symlink(void **state)
{
	struct fx *f = *state;

	spit(f->path, "target", 0600);
	assert_int_equal(symlink(f->path, f->link), 0);
	assert_int_equal(safefile_open_write(f->link, O_TRUNC, f->err, sizeof(f->err)), -ELOOP);
	assert_non_null(strstr(f->err, "is a symbolic link"));
	assert_non_null(strstr(f->err, f->link));
	assert_int_equal(size_of(f->path), 6); /* the target is untouched */
}

static void test_write_refuses_other_owner(void **state)
{
	struct fx *f = *state;
	char want[160];
	int fd;

	if (geteuid() != 0)
		skip();
	spit(f->path, "theirs", 0666);
	assert_int_equal(chown(f->path, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(safefile_open_write(f->path, O_TRUNC, f->err, sizeof(f->err)), -EPERM);
	snprintf(want, sizeof(want), "%s: owned by uid %d", f->path, OTHER_UID);
	assert_non_null(strstr(f->err, want));
	assert_int_equal(size_of(f->path), 6); /* not truncated */
	assert_int_equal(safefile_open_write(f->path, O_APPEND, f->err, sizeof(f->err)), -EPERM);
	assert_int_equal(chown(f->path, 0, 0), 0); /* ours again: accepted */
	fd = safefile_open_write(f->path, O_APPEND, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	close(fd);
}

static void test_write_char_device(void **state)
{
	struct fx *f = *state;
	int fd = safefile_open_write("/dev/null", O_TRUNC, f->err, sizeof(f->err));

	assert_true(fd >= 0); /* root's character device */
	close(fd);
}

static void test_secret_modes(void **state)
{
	struct fx *f = *state;
	static const mode_t refused[] = {0640, 0604, 0620, 0602, 0660, 0644, 0700 | 0040};
	char fix[160];
	int fd;

	spit(f->path, "key", 0600);
	fd = safefile_open_secret(f->path, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	close(fd);
	spit(f->path, "key", 0400);
	fd = safefile_open_secret(f->path, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	close(fd);
	snprintf(fix, sizeof(fix), "run: chmod 600 %s", f->path);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		assert_int_equal(chmod(f->path, refused[i]), 0);
		assert_int_equal(safefile_open_secret(f->path, f->err, sizeof(f->err)), -EPERM);
		assert_non_null(strstr(f->err, fix));
		assert_null(strchr(f->err, '\n'));
	}
}

static void test_secret_refuses_symlink_dir_and_other_owner(void **state)
{
	struct fx *f = *state;

	spit(f->path, "key", 0600);
	assert_int_equal(symlink(f->path, f->link), 0);
	assert_int_equal(safefile_open_secret(f->link, f->err, sizeof(f->err)), -ELOOP);
	assert_non_null(strstr(f->err, "is a symbolic link"));
	assert_int_equal(safefile_open_secret(f->dir, f->err, sizeof(f->err)), -EINVAL);
	assert_int_equal(safefile_open_secret("/nonexistent/x", f->err, sizeof(f->err)), -ENOENT);
	if (geteuid() != 0)
		return;
	assert_int_equal(chown(f->path, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(safefile_open_secret(f->path, f->err, sizeof(f->err)), -EPERM);
	assert_non_null(strstr(f->err, "owned by uid 65534"));
}

static void test_dir_modes(void **state)
{
	struct fx *f = *state;
	char fix[160];

	snprintf(fix, sizeof(fix), "run: chmod go-w %s", f->dir);
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(safefile_check_dir(f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(safefile_check_dir(f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(safefile_check_dir(f->dir, f->err, sizeof(f->err)), -EPERM);
	assert_non_null(strstr(f->err, fix));
	assert_int_equal(chmod(f->dir, 0703), 0);
	assert_int_equal(safefile_check_dir(f->dir, f->err, sizeof(f->err)), -EPERM);
	assert_int_equal(chmod(f->dir, 0700), 0);
	spit(f->path, "x", 0600);
	assert_int_equal(safefile_check_dir(f->path, f->err, sizeof(f->err)), -ENOTDIR);
	assert_int_equal(safefile_check_dir("/nonexistent/x", f->err, sizeof(f->err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_new_file_0600, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_truncates_and_appends_own_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_write_refuses_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_refuses_other_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_char_device, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_refuses_symlink_dir_and_other_owner, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dir_modes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
