/* Runs in the worker. libnghttp2's allocator for one session (nghttp2_mem), here only so that an
 * idle session gives back the memory of its outbound frame buffer (h2_trim).
 *
 * Why: libnghttp2 (1.52) allocates, when a session is made, a frame buffer of
 * NGHTTP2_FRAMEBUF_CHUNKLEN bytes (a 9-byte frame header, a pad length byte and a 16 KiB payload:
 * lib/nghttp2_session.c packs every frame it sends there, lib/nghttp2_buf.c allocates it with
 * realloc(NULL, n), separate from its chain header) and keeps it for the session's life. No
 * option shrinks it, and it is two thirds of a bare session's heap (about 25 KiB), so an idle
 * HTTP/2 connection holds 16 KiB it does not use. Its content is dead once a frame is sent: when
 * nothing is queued (nghttp2_session_want_write false) the buffer has been reset and the next
 * frame is packed from its start. So h2_trim hands the pages lying wholly inside it back to the
 * kernel (madvise MADV_DONTNEED: they read as zeros and are faulted in again when the next frame
 * is packed), called from an idle timer, not per pump. The allocation stays malloc's (only pages
 * inside the requested size are touched, never malloc's own headers), so this costs no mapping
 * and no system call per session.
 *
 * The buffer is told apart by its size and by being allocated while the session is made (no
 * other allocation of that size happens then); should a later libnghttp2 change the size, nothing
 * is recognized and nothing is trimmed. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h2/h2_int.h"

/* lib/nghttp2_session.h's NGHTTP2_FRAMEBUF_CHUNKLEN (not in the public header). */
#define H2_FRAMEBUF_LEN (9 + 1 + 16384)

static void *mem_malloc(size_t size, void *ud)
{
	(void)ud;
	return malloc(size);
}

static void mem_free(void *ptr, void *ud)
{
	struct h2_mem *m = ud;

	if (ptr != NULL && ptr == m->framebuf)
		m->framebuf = NULL;
	free(ptr);
}

static void *mem_calloc(size_t nmemb, size_t size, void *ud)
{
	(void)ud;
	return calloc(nmemb, size);
}

static void *mem_realloc(void *ptr, size_t size, void *ud)
{
	struct h2_mem *m = ud;
	void *r;

	if (ptr != NULL && ptr == m->framebuf)
		m->framebuf = NULL; /* not the buffer we know any more */
	r = realloc(ptr, size);
	if (ptr == NULL && r != NULL && m->creating && m->framebuf == NULL &&
	    size == H2_FRAMEBUF_LEN)
		m->framebuf = r;
	return r;
}

nghttp2_mem h2_mem_allocator(struct h2_mem *m)
{
	return (nghttp2_mem){
	    .mem_user_data = m,
	    .malloc = mem_malloc,
	    .free = mem_free,
	    .calloc = mem_calloc,
	    .realloc = mem_realloc,
	};
}

/* The whole pages inside [p, p + n). */
static bool inner_pages(void *p, size_t n, uintptr_t *start, size_t *len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t b = ((uintptr_t)p + n) & ~(page - 1);

	if (b <= a)
		return false;
	*start = a;
	*len = (size_t)(b - a);
	return true;
}

size_t h2_mem_trim(struct h2_mem *m)
{
	uintptr_t a;
	size_t len;

	if (m->framebuf == NULL || !inner_pages(m->framebuf, H2_FRAMEBUF_LEN, &a, &len))
		return 0;
	if (madvise((void *)a, len, MADV_DONTNEED) != 0)
		return 0;
	return len;
}

bool h2_mem_framebuf(const struct h2_mem *m, void **p, size_t *n)
{
	*p = m->framebuf;
	*n = H2_FRAMEBUF_LEN;
	return m->framebuf != NULL;
}
