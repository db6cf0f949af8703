/* The flow file (`-w`, `-r`): the magic, then varint-length-prefixed
 * snare.Flow records (man/snare-flows.5).  Runs in the coordinator, the
 * single writer; a file being read is untrusted: every length is checked
 * against FLOWFILE_MAX_FLOW and against what is left before allocating. */
#include "output/flowfile.h"

#include "core/errf.h"
#include "core/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_LEN (sizeof(FLOWFILE_MAGIC) - 1)
#define VARINT_MAX 10

struct flowfile {
	int fd;
	bool regular; /* a regular file: a failed write can be cut back */
	off_t good;   /* end of the last complete record */
};

/* Where records are read from: a stream, or memory. */
struct ff_src {
	FILE *fp;
	const uint8_t *mem;
	size_t len; /* bytes in mem, or the file size when known */
	bool len_known;
	size_t pos; /* bytes consumed */
};

typedef void (*flowfile_fn)(const Snare__Flow *f, void *arg);

static size_t varint_encode(uint64_t v, uint8_t *out)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* Decodes a varint from p[0..n): its length in bytes, 0 when cut short,
 * or -EBADMSG when longer than 10 bytes. */
static int varint_decode(const uint8_t *p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < VARINT_MAX; i++) {
		if (i >= n)
			return 0;
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return (int)i + 1;
	}
	return -EBADMSG;
}

/* Walks the record lengths of an existing file so that we never append
 * after a record cut short by a crashed writer.  0, or the bad offset. */
static off_t scan_records(int fd, off_t size)
{
	uint8_t hdr[VARINT_MAX];
	off_t off = MAGIC_LEN;
	uint64_t len;

	while (off < size) {
		ssize_t got = pread(fd, hdr, sizeof(hdr), off);
		int k = got > 0 ? varint_decode(hdr, (size_t)got, &len) : -EIO;

		if (k <= 0 || len > FLOWFILE_MAX_FLOW || (uint64_t)(size - off - k) < len)
			return off;
		off += k + (off_t)len;
	}
	return 0;
}

/* For append: 1 when the file already has the magic, 0 when it is new. */
static int check_existing(int fd, const char *path, char *err, size_t errlen)
{
	char magic[MAGIC_LEN];
	struct stat st;
	off_t bad;

	if (fstat(fd, &st) < 0) {
		int e = errno;

		errf(err, errlen, -e, "%s", path);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	if (pread(fd, magic, MAGIC_LEN, 0) != (ssize_t)MAGIC_LEN ||
	    memcmp(magic, FLOWFILE_MAGIC, MAGIC_LEN)) {
		snprintf(err, errlen, "%s: not a snare flow file", path);
		return -EINVAL;
	}
	bad = scan_records(fd, st.st_size);
	if (bad) {
		snprintf(err, errlen, "%s: corrupt flow record at offset %lld; not appending", path,
			 (long long)bad);
		return -EBADMSG;
	}
	return 1;
}

/* Flows hold what clients sent: the file is created 0600, never opened
 * through a symlink, and refused when it is someone else's (safefile.c;
 * the check comes before any truncation). */
int flowfile_open(const char *path, bool append, struct flowfile **out, char *err, size_t errlen)
{
	int flags = append ? O_RDWR | O_APPEND : O_TRUNC;
	struct flowfile *ff = NULL;
	struct stat st;
	int fd, rc = 0;

	*out = NULL;
	fd = safefile_open_write(path, flags, err, errlen);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = append ? check_existing(fd, path, err, errlen) : 0;
	if (rc == 0 && (rc = fd_write_all(fd, FLOWFILE_MAGIC, MAGIC_LEN)) < 0)
		errf(err, errlen, rc, "%s", path);
	if (rc < 0)
		goto out;
	ff = xcalloc(1, sizeof(*ff));
	ff->fd = fd;
	ff->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	ff->good = ff->regular ? st.st_size : 0;
	*out = ff;
	rc = 0;
out:
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc;
}

int flowfile_write(struct flowfile *ff, const Snare__Flow *f)
{
	size_t n = snare__flow__get_packed_size(f), h;
	uint8_t *buf;
	int rc;

	if (n > FLOWFILE_MAX_FLOW)
		return -EMSGSIZE;
	buf = xmalloc(n + VARINT_MAX);
	h = varint_encode(n, buf);
	snare__flow__pack(f, buf + h);
	rc = fd_write_all(ff->fd, buf, h + n);
	if (rc == 0)
		ff->good += (off_t)(h + n);
	else if (ff->regular && ftruncate(ff->fd, ff->good) < 0)
		ff->regular = false; /* best effort: leave no half record behind */
	free(buf);
	return rc;
}

int flowfile_close(struct flowfile *ff)
{
	int rc = 0;

	if (!ff)
		return 0;
	if (close(ff->fd) < 0)
		rc = -errno;
	free(ff);
	return rc;
}

static size_t src_read(struct ff_src *s, void *buf, size_t n)
{
	size_t got;

	if (s->fp) {
		got = fread(buf, 1, n, s->fp);
	} else {
		got = n < s->len - s->pos ? n : s->len - s->pos;
		memcpy(buf, s->mem + s->pos, got);
	}
	s->pos += got;
	return got;
}

/* 1 with a length, 0 at a clean end, -EBADMSG when cut or too long. */
static int src_varint(struct ff_src *s, uint64_t *len)
{
	uint8_t p[VARINT_MAX];
	size_t n = 0;
	int k;

	do {
		if (src_read(s, &p[n], 1) != 1)
			return n == 0 ? 0 : -EBADMSG;
		k = varint_decode(p, ++n, len);
	} while (k == 0 && n < VARINT_MAX);
	return k > 0 ? 1 : -EBADMSG;
}

/* Reads, unpacks and hands one record to fn.  1 when done, 0 at the end. */
static int read_record(struct ff_src *s, flowfile_fn fn, void *arg)
{
	Snare__Flow *flow;
	uint64_t len;
	uint8_t *buf;
	int rc;

	rc = src_varint(s, &len);
	if (rc <= 0)
		return rc;
	if (len > FLOWFILE_MAX_FLOW || (s->len_known && s->pos <= s->len && len > s->len - s->pos))
		return -EBADMSG;
	buf = xmalloc(len ? len : 1);
	rc = src_read(s, buf, len) == len ? 0 : -EBADMSG;
	flow = rc == 0 ? snare__flow__unpack(NULL, len, buf) : NULL;
	free(buf);
	if (!flow)
		return -EBADMSG;
	fn(flow, arg);
	snare__flow__free_unpacked(flow, NULL);
	return 1;
}

static int read_records(struct ff_src *s, const char *name, flowfile_fn fn, void *arg, char *err,
			size_t errlen)
{
	uint8_t magic[MAGIC_LEN];
	size_t start;
	int rc;

	if (src_read(s, magic, MAGIC_LEN) != MAGIC_LEN ||
	    memcmp(magic, FLOWFILE_MAGIC, MAGIC_LEN)) {
		rc = s->fp && ferror(s->fp) ? -EIO : -EINVAL;
		snprintf(err, errlen, "%s: %s", name,
			 rc == -EIO ? strerror(EIO) : "not a snare flow file");
		return rc;
	}
	do {
		start = s->pos;
		rc = read_record(s, fn, arg);
	} while (rc > 0);
	if (s->fp && ferror(s->fp)) {
		errf(err, errlen, -EIO, "%s", name);
		return -EIO;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: corrupt flow record at offset %zu", name, start);
	return rc;
}

int flowfile_read(const char *path, void (*fn)(const Snare__Flow *f, void *arg), void *arg,
		  char *err, size_t errlen)
{
	struct ff_src s = {0};
	struct stat st;
	int rc;

	s.fp = fopen(path, "rbe");
	if (!s.fp) {
		rc = -errno;
		errf(err, errlen, rc, "%s", path);
		return rc;
	}
	if (fstat(fileno(s.fp), &st) == 0 && S_ISREG(st.st_mode)) {
		s.len = (size_t)st.st_size;
		s.len_known = true;
	}
	rc = read_records(&s, path, fn, arg, err, errlen);
	fclose(s.fp);
	return rc;
}

int flowfile_read_mem(const uint8_t *data, size_t len, const char *name,
		      void (*fn)(const Snare__Flow *f, void *arg), void *arg, char *err,
		      size_t errlen)
{
	struct ff_src s = {.mem = data, .len = len, .len_known = true};

	return read_records(&s, name, fn, arg, err, errlen);
}
