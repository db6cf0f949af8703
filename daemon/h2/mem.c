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
 * frame is packed from its start. So the buffer gets whole pages of its own (aligned_alloc,
 * 20 KiB for its 16,394 bytes; malloc's headers stay outside them) and h2_trim hands them all
 * back to the kernel (madvise MADV_DONTNEED: they read as zeros and are faulted in again when the
 * next frame is packed), called from an idle timer, not per pump. It stays malloc's memory: no
 * mapping of its own (10,000 sessions are not 10,000 mappings) and no system call per session.
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

/* The frame buffer's allocation: whole pages. */
static size_t framebuf_size(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (H2_FRAMEBUF_LEN + page - 1) & ~(page - 1);
}

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

	if (ptr == NULL && m->creating && m->framebuf == NULL && size == H2_FRAMEBUF_LEN) {
		r = aligned_alloc((size_t)sysconf(_SC_PAGESIZE), framebuf_size());
		m->framebuf = r;
		return r;
	}
	if (ptr != NULL && ptr == m->framebuf)
		m->framebuf = NULL; /* not the buffer we know any more */
	return realloc(ptr, size);
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

size_t h2_mem_trim(struct h2_mem *m)
{
	if (m->framebuf == NULL || madvise(m->framebuf, framebuf_size(), MADV_DONTNEED) != 0)
		return 0;
	return framebuf_size();
}

bool h2_mem_framebuf(const struct h2_mem *m, void **p, size_t *n)
{
	*p = m->framebuf;
	*n = framebuf_size();
	return m->framebuf != NULL;
}
