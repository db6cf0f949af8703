/* The rp_filter record of the TUN helpers (see tun_state.h): a root-owned
 * 0600 text file under /run/snare per network namespace.  Every helper with
 * a device holds a shared flock on it; the last one to leave (an exclusive
 * flock succeeds) restores and empties it, and a helper that starts with no
 * share held and the file filled knows the helpers died (SIGKILL).  Writers
 * take an exclusive flock on the directory.  Trusts the file only when it is a regular file of
 * ours, mode 0600, reached without symlinks, and every line parses. */
#include "tun_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errf.h"
#include "core/util.h"
#include "privsep/privsep_proto.h"

#define TUN_STATE_BUF 8192

static struct {
	int fd, dfd;
	bool user; /* we hold a share (LOCK_SH) */
	char path[64];
	char why[160]; /* why there is no file (fd < 0) */
} st = {.fd = -1, .dfd = -1};

const char *tun_state_path(void)
{
	return st.path;
}

/* /run/snare: a real directory of root (or ours), closed to others.  Its
 * fd, or -errno: "cannot record" unless *refused (then err says why). */
static int tun_state_dir(bool *refused, char *err, size_t errlen)
{
	struct stat sb;
	int dfd;

	if (mkdir(TUN_STATE_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	dfd = open(TUN_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid()) || (sb.st_mode & 022) != 0) {
		snprintf(err, errlen,
			 "%s is not a directory of root closed to group and others: "
			 "remove it (rm -r %s)",
			 TUN_STATE_DIR, TUN_STATE_DIR);
		close(dfd);
		*refused = true;
		return -EPERM;
	}
	return dfd;
}

static bool tun_state_name_ok(const char *name, int ifindex)
{
	if (ifindex == 0)
		return strcmp(name, "all") == 0 || strcmp(name, "default") == 0;
	return privsep_valid_ifname(name);
}

/* "name ifindex old set" lines; '#' lines are comments. */
static int tun_state_parse(char *buf, struct tun_state_rec *r)
{
	char *line, *save = NULL;

	r->n = 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct tun_conf_change c = {0};
		char name[32], extra;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%31s %d %d %d %c", name, &c.ifindex, &c.old, &c.set, &extra) !=
			4 ||
		    strlen(name) >= sizeof(c.name) || c.ifindex < 0 || c.old < 0 || c.old > 2 ||
		    c.set < 0 || c.set > 2 || c.old == c.set || r->n == TUN_STATE_MAX)
			return -EINVAL;
		memcpy(c.name, name, strlen(name) + 1);
		if (!tun_state_name_ok(c.name, c.ifindex))
			return -EINVAL;
		r->c[r->n++] = c;
	}
	return r->n > 0 ? 0 : -EINVAL;
}

/* The text, once we hold the file exclusively: 1 and *rec, 0 when empty
 * (the lock is then let go), or a negative code with one line in err. */
static int tun_state_text(struct tun_state_rec *rec, char *err, size_t errlen)
{
	static char buf[TUN_STATE_BUF + 1];
	ssize_t n = pread(st.fd, buf, TUN_STATE_BUF, 0);

	if (n < 0)
		return -errno;
	if (n == 0) {
		flock(st.fd, LOCK_UN);
		return 0;
	}
	buf[n] = '\0';
	if (n == TUN_STATE_BUF || tun_state_parse(buf, rec) < 0) {
		snprintf(err, errlen,
			 "%s is not a record snare wrote: set net.ipv4.conf.*.rp_filter as they "
			 "should be, then remove the file",
			 st.path);
		return -EINVAL;
	}
	return 1;
}

/* Our file: regular, ours, 0600, one link.  Then, when no helper holds a
 * share, its text. */
static int tun_state_read(struct tun_state_rec *stale, char *err, size_t errlen)
{
	struct stat sb;

	if (fstat(st.fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) != 0 || sb.st_nlink != 1) {
		snprintf(err, errlen, "%s is not a 0600 file of this user: remove it", st.path);
		return -EPERM;
	}
	if (flock(st.fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : -errno; /* live helpers' */
	return tun_state_text(stale, err, errlen);
}

int tun_state_open(const char *netns_id, struct tun_state_rec *stale, char *err, size_t errlen)
{
	bool refused = false;
	int dfd, rc;

	snprintf(st.path, sizeof(st.path), TUN_STATE_DIR "/rp_filter.%s", netns_id);
	dfd = tun_state_dir(&refused, err, errlen);
	if (refused)
		return dfd;
	if (dfd < 0) {
		snprintf(st.why, sizeof(st.why), "no access to %s (%s)", TUN_STATE_DIR,
			 strerror(-dfd));
		return 0;
	}
	st.fd =
	    openat(dfd, strrchr(st.path, '/') + 1, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	rc = st.fd < 0 ? -errno : 0;
	st.dfd = dfd;
	if (rc == -ELOOP) {
		snprintf(err, errlen, "%s is a symbolic link: remove it", st.path);
		return rc;
	}
	if (rc < 0) {
		errf(st.why, sizeof(st.why), rc, "cannot open %s", st.path);
		return 0;
	}
	rc = tun_state_read(stale, err, errlen);
	if (rc < 0 && err[0] == '\0')
		errf(err, errlen, rc, "%s", st.path);
	return rc;
}

int tun_state_use(void)
{
	if (st.fd < 0 || st.user)
		return 0;
	while (flock(st.fd, LOCK_SH) < 0)
		if (errno != EINTR)
			return -errno;
	st.user = true;
	return 0;
}

int tun_state_claim(char *err, size_t errlen)
{
	if (st.fd < 0) {
		snprintf(err, errlen, "%s", st.why[0] != '\0' ? st.why : "no record file");
		return -EACCES;
	}
	while (flock(st.dfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			errf(err, errlen, -errno, "%s", TUN_STATE_DIR);
			return -errno;
		}
	return 0;
}

void tun_state_unclaim(void)
{
	if (st.dfd >= 0)
		flock(st.dfd, LOCK_UN);
}

int tun_state_save(const struct tun_state_rec *r)
{
	static char buf[TUN_STATE_BUF];
	size_t len, i;
	int n;

	n = snprintf(buf, sizeof(buf),
		     "# %s (pid %d) changed these IPv4 rp_filter values: name ifindex old new.\n"
		     "# The next snare helper to start here puts them back.  To do it by hand\n"
		     "# (with no snare running): sysctl -w net.ipv4.conf.NAME.rp_filter=OLD\n"
		     "# for each line, then remove this file.\n",
		     snare_progname, (int)getpid());
	len = (size_t)n;
	for (i = 0; i < r->n && len < sizeof(buf); i++) {
		const struct tun_conf_change *c = &r->c[i];

		n = snprintf(buf + len, sizeof(buf) - len, "%s %d %d %d\n", c->name, c->ifindex,
			     c->old, c->set);
		len += (size_t)n;
	}
	if (len >= sizeof(buf))
		return -ENOSPC;
	if (st.fd < 0)
		return -EBADF;
	if (pwrite(st.fd, buf, len, 0) != (ssize_t)len || ftruncate(st.fd, (off_t)len) < 0)
		return errno != 0 ? -errno : -EIO;
	return 0;
}

int tun_state_leave(struct tun_state_rec *rec, char *err, size_t errlen)
{
	if (st.fd < 0 || !st.user)
		return 0;
	st.user = false;
	/* Converting fails while others hold a share (ours is gone then). */
	if (flock(st.fd, LOCK_EX | LOCK_NB) < 0)
		return 0;
	return tun_state_text(rec, err, errlen);
}

void tun_state_release(void)
{
	if (st.fd < 0)
		return;
	if (ftruncate(st.fd, 0) < 0)
		fprintf(stderr, "%s: cannot empty %s: %s\n", snare_progname, st.path,
			strerror(errno));
	flock(st.fd, LOCK_UN);
}

void tun_state_unlock(void)
{
	if (st.fd >= 0)
		flock(st.fd, LOCK_UN);
}
