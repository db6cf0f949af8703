/* Runs in the ui: the bounded flow storage (see ui_store.h).  Summaries and
 * their strings live in fixed-size pages (never reallocated, so 200,000
 * flows cost their summaries and nothing more); whole flows go to the spill
 * file, which starts with the flow file's magic and holds one delimited
 * record per flow, so that /flows.snare can copy records as they are. */
#include "ui/ui_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "output/flowfile.h"

#define SUM_PAGE 4096u	      /* summaries per page */
#define ARENA_PAGE (1u << 20) /* bytes per string page */
#define ARENA_PAGES 4096u     /* 4 GiB of strings at most */
#define STR_ABSENT 0xffffu
#define RECORD_MAX (64u << 20) /* one flow; an imported one may be larger than a frame */

struct ui_store {
	int fd;
	uint64_t end; /* bytes written to the spill file */
	struct ui_sum **pages;
	size_t npages, count;
	uint8_t **arena;
	size_t narena, arena_used; /* bytes used of the last page */
	uint32_t *index;	   /* flow index + 1, open addressing by id */
	size_t index_cap;
	size_t mem;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct ui_store *ui_store_new(int spill_fd)
{
	struct ui_store *s = xcalloc(1, sizeof(*s));

	s->fd = spill_fd;
	s->pages = xcalloc(UI_FLOWS_MAX / SUM_PAGE, sizeof(*s->pages));
	s->arena = xcalloc(ARENA_PAGES, sizeof(*s->arena));
	s->index_cap = 1024;
	s->index = xcalloc(s->index_cap, sizeof(*s->index));
	if (write_all(s->fd, (const uint8_t *)FLOWFILE_MAGIC, strlen(FLOWFILE_MAGIC)) == 0)
		s->end = strlen(FLOWFILE_MAGIC);
	return s;
}

void ui_store_free(struct ui_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npages; i++)
		free(s->pages[i]);
	for (i = 0; i < s->narena; i++)
		free(s->arena[i]);
	free(s->pages);
	free(s->arena);
	free(s->index);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

size_t ui_store_count(const struct ui_store *s)
{
	return s->count;
}

const struct ui_sum *ui_store_sum(const struct ui_store *s, size_t i)
{
	return &s->pages[i / SUM_PAGE][i % SUM_PAGE];
}

static struct ui_sum *sum_at(struct ui_store *s, size_t i)
{
	return &s->pages[i / SUM_PAGE][i % SUM_PAGE];
}

void ui_store_set_marked(struct ui_store *s, size_t i, bool marked)
{
	struct ui_sum *m = sum_at(s, i);

	m->flags = marked ? m->flags | UI_F_MARKED : m->flags & ~UI_F_MARKED;
}

uint64_t ui_store_spill_bytes(const struct ui_store *s)
{
	return s->end;
}

size_t ui_store_mem_bytes(const struct ui_store *s)
{
	return s->mem;
}

/* ---- strings ---- */

static const uint8_t *str_block(const struct ui_store *s, uint32_t ref)
{
	return s->arena[ref >> 20] + (ref & (ARENA_PAGE - 1));
}

const char *ui_store_str(const struct ui_store *s, size_t i, enum ui_str which, bool *present)
{
	const uint8_t *p = str_block(s, ui_store_sum(s, i)->str);
	unsigned k, len = 0;

	for (k = 0;; k++) {
		len = (unsigned)p[0] | (unsigned)p[1] << 8;
		if (k == (unsigned)which)
			break;
		p += 2 + (len == STR_ABSENT ? 0 : len + 1);
	}
	if (present)
		*present = len != STR_ABSENT;
	return len == STR_ABSENT ? "" : (const char *)p + 2;
}

void ui_store_strs(const struct ui_store *s, size_t i, const char *v[UI_S_COUNT])
{
	const uint8_t *p = str_block(s, ui_store_sum(s, i)->str);

	for (unsigned k = 0; k < UI_S_COUNT; k++) {
		unsigned len = (unsigned)p[0] | (unsigned)p[1] << 8;

		v[k] = len == STR_ABSENT ? NULL : (const char *)p + 2;
		p += 2 + (len == STR_ABSENT ? 0 : len + 1);
	}
}

/* Appends the strings of one summary; returns their reference. */
static uint32_t str_put(struct ui_store *s, const char *const v[UI_S_COUNT])
{
	size_t need = 0, len[UI_S_COUNT], k;
	uint8_t *p;

	for (k = 0; k < UI_S_COUNT; k++) {
		len[k] = v[k] ? strnlen(v[k], UI_STR_MAX) : 0;
		need += 2 + (v[k] ? len[k] + 1 : 0);
	}
	if (s->narena == 0 || s->arena_used + need > ARENA_PAGE) {
		if (s->narena == ARENA_PAGES)
			return UINT32_MAX;
		s->arena[s->narena++] = xmalloc(ARENA_PAGE);
		s->arena_used = 0;
		s->mem += ARENA_PAGE;
	}
	p = s->arena[s->narena - 1] + s->arena_used;
	for (k = 0; k < UI_S_COUNT; k++) {
		unsigned l = v[k] ? (unsigned)len[k] : STR_ABSENT;

		*p++ = (uint8_t)(l & 0xff);
		*p++ = (uint8_t)(l >> 8);
		if (v[k]) {
			memcpy(p, v[k], len[k]);
			p[len[k]] = '\0';
			p += len[k] + 1;
		}
	}
	k = (s->narena - 1) << 20 | s->arena_used;
	s->arena_used += need;
	return (uint32_t)k;
}

/* ---- the id index ---- */

static uint64_t id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ull;

	while (*id)
		h = (h ^ (uint8_t)*id++) * 1099511628211ull;
	return h;
}

static void index_put(struct ui_store *s, const char *id, size_t i)
{
	size_t mask = s->index_cap - 1, at = id_hash(id) & mask;

	while (s->index[at] != 0)
		at = (at + 1) & mask;
	s->index[at] = (uint32_t)(i + 1);
}

static void index_grow(struct ui_store *s)
{
	size_t i;

	if ((s->count + 1) * 2 <= s->index_cap)
		return;
	s->mem -= s->index_cap * sizeof(*s->index);
	free(s->index);
	s->index_cap *= 2;
	s->index = xcalloc(s->index_cap, sizeof(*s->index));
	s->mem += s->index_cap * sizeof(*s->index);
	for (i = 0; i < s->count; i++)
		index_put(s, ui_store_str(s, i, UI_S_ID, NULL), i);
}

ssize_t ui_store_find(const struct ui_store *s, const char *id)
{
	size_t mask = s->index_cap - 1, at = id_hash(id) & mask;

	for (; s->index[at] != 0; at = (at + 1) & mask) {
		size_t i = s->index[at] - 1;

		if (strcmp(ui_store_str(s, i, UI_S_ID, NULL), id) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* ---- records ---- */

static int spill_append(struct ui_store *s, const Snare__Flow *f, uint64_t *off, uint32_t *len)
{
	size_t n = snare__flow__get_packed_size(f), h = 0;
	uint8_t *buf;
	uint64_t v = n;
	int rc;

	if (n > RECORD_MAX)
		return -EMSGSIZE;
	buf = xmalloc(n + 10);
	do {
		buf[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	snare__flow__pack(f, buf + h);
	rc = write_all(s->fd, buf, h + n);
	free(buf);
	if (rc < 0)
		return rc;
	*off = s->end + h;
	*len = (uint32_t)n;
	s->end += h + n;
	return 0;
}

int ui_store_read_raw(const struct ui_store *s, size_t i, uint8_t *buf)
{
	const struct ui_sum *m = ui_store_sum(s, i);
	size_t got = 0;

	while (got < m->len) {
		ssize_t r = pread(s->fd, buf + got, m->len - got, (off_t)(m->off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		got += (size_t)r;
	}
	return 0;
}

Snare__Flow *ui_store_load(const struct ui_store *s, size_t i)
{
	const struct ui_sum *m = ui_store_sum(s, i);
	uint8_t *buf = xmalloc(m->len ? m->len : 1);
	Snare__Flow *f = NULL;

	if (ui_store_read_raw(s, i, buf) == 0)
		f = snare__flow__unpack(NULL, m->len, buf);
	free(buf);
	return f;
}

int ui_store_add(struct ui_store *s, const Snare__Flow *f, size_t *index)
{
	const char *v[UI_S_COUNT] = {0};
	struct ui_addrbuf b;
	struct ui_sum m = {0}, *slot;
	ssize_t old = f->id ? ui_store_find(s, f->id) : -1;
	size_t i;
	int rc;

	if (f->id == NULL || (old < 0 && s->count >= UI_FLOWS_MAX))
		return -ENOSPC;
	ui_summarize(f, &m, v, &b);
	if ((m.str = str_put(s, v)) == UINT32_MAX)
		return -ENOSPC;
	if ((rc = spill_append(s, f, &m.off, &m.len)) < 0)
		return rc;
	if (old >= 0) {
		i = (size_t)old;
		m.seq = sum_at(s, i)->seq;
		m.flags |= sum_at(s, i)->flags & UI_F_MARKED;
		*sum_at(s, i) = m;
		*index = i;
		return 0;
	}
	index_grow(s);
	i = s->count;
	if (i % SUM_PAGE == 0) {
		s->pages[s->npages++] = xcalloc(SUM_PAGE, sizeof(struct ui_sum));
		s->mem += SUM_PAGE * sizeof(struct ui_sum);
	}
	slot = sum_at(s, i);
	*slot = m;
	slot->seq = (uint32_t)(i + 1);
	s->count++;
	index_put(s, ui_store_str(s, i, UI_S_ID, NULL), i);
	*index = i;
	return 0;
}

/* ---- scanning ---- */

#define SCAN_WINDOW (1u << 20)	/* bytes read at once */
#define SCAN_ARENA (64u * 1024) /* scratch for one unpacked flow; more is malloc'd */

/* protobuf-c's allocator over a bump arena that is reset after each flow
 * (unpacking a small flow then costs no malloc); what does not fit is
 * malloc'd and freed at the reset. */
struct scan_arena {
	uint8_t *buf;
	size_t used;
	void **big;
	size_t nbig, capbig;
};

static void *arena_alloc(void *data, size_t n)
{
	struct scan_arena *a = data;
	size_t at = (a->used + 15) & ~(size_t)15;

	if (at + n <= SCAN_ARENA) {
		a->used = at + n;
		return a->buf + at;
	}
	if (a->nbig == a->capbig) {
		a->capbig = a->capbig ? a->capbig * 2 : 16;
		a->big = xrealloc(a->big, a->capbig * sizeof(*a->big));
	}
	return a->big[a->nbig++] = xmalloc(n ? n : 1);
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p; /* everything goes at arena_reset */
}

static void arena_reset(struct scan_arena *a)
{
	while (a->nbig > 0)
		free(a->big[--a->nbig]);
	a->used = 0;
}

/* Makes w (win_off, win_len) hold the record of m; false when unreadable. */
static bool window_fill(const struct ui_store *s, const struct ui_sum *m, uint8_t **win,
			size_t *cap, uint64_t *win_off, size_t *win_len)
{
	size_t want = m->len > SCAN_WINDOW ? m->len : SCAN_WINDOW, got = 0;

	if (m->off >= *win_off && m->off + m->len <= *win_off + *win_len)
		return true;
	if (want > *cap) {
		*win = xrealloc(*win, want);
		*cap = want;
	}
	while (got < want) {
		ssize_t r = pread(s->fd, *win + got, want - got, (off_t)(m->off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*win_off = m->off;
	*win_len = got;
	return got >= m->len;
}

int ui_store_scan(const struct ui_store *s, size_t from, size_t to, ui_store_scan_fn fn, void *arg)
{
	struct scan_arena a = {.buf = xmalloc(SCAN_ARENA)};
	ProtobufCAllocator alloc = {arena_alloc, arena_free, &a};
	uint8_t *win = NULL;
	size_t cap = 0, win_len = 0, i;
	uint64_t win_off = 0;

	for (i = from; i < to && i < s->count; i++) {
		const struct ui_sum *m = ui_store_sum(s, i);
		Snare__Flow *f;

		if (!window_fill(s, m, &win, &cap, &win_off, &win_len))
			continue;
		f = snare__flow__unpack(&alloc, m->len, win + (m->off - win_off));
		if (f)
			fn(i, f, arg);
		arena_reset(&a);
	}
	free(win);
	free(a.buf);
	free(a.big);
	return 0;
}
