/* Unit tests for the h2 module's allocator (daemon/h2/mem.c): libnghttp2's outbound frame buffer
 * is recognized in both roles, an idle session gives its pages back (mincore says they are gone)
 * and a busy one does not, and a trimmed session still carries requests and responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h2/h2_int.h"
#include "test_h2_pair.h"

/* Resident pages among the whole pages of the session's frame buffer. */
static size_t resident_pages(struct side *d)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a, b;
	unsigned char vec[8];
	size_t n, i, r = 0;
	void *p;

	assert_true(h2_mem_framebuf(&d->s->mem, &p, &n));
	a = (uintptr_t)p;
	b = a + n;
	assert_int_equal(a % page, 0); /* pages of its own */
	assert_true(n >= 16394 && (b - a) / page <= sizeof(vec));
	assert_int_equal(mincore((void *)a, b - a, vec), 0);
	for (i = 0; i < (b - a) / page; i++)
		r += vec[i] & 1;
	return r;
}

static uint8_t big[40000];

static void respond(struct side *s, int32_t sid)
{
	struct h2_head h = {.status = 200};

	assert_int_equal(h2_submit_head(s->s, sid, &h, false), sid);
	assert_int_equal(h2_submit_data(s->s, sid, big, sizeof(big)), sizeof(big));
	assert_int_equal(h2_submit_end(s->s, sid, NULL, 0), 0);
}

/* One GET answered with a body of 40,000 bytes (16 KiB DATA frames, packed in the frame
 * buffer); returns the client's record. */
static struct rec *exchange(struct side *c, struct side *s)
{
	int32_t sid = get(c, "/", NULL, 0);
	struct rec *r;

	pump(c, s);
	r = rec_get(s, sid);
	assert_true(r->have_head && r->ended);
	respond(s, sid);
	pump(c, s);
	pump(c, s);
	r = rec_get(c, sid);
	assert_int_equal(r->head.status, 200);
	assert_true(r->ended && r->closed);
	return r;
}

static void test_framebuf_recognized(void **state)
{
	struct side c, s;
	void *p;
	size_t n;

	(void)state;
	side_init(&c, H2_CLIENT, NULL);
	side_init(&s, H2_SERVER, NULL);
	assert_true(h2_mem_framebuf(&c.s->mem, &p, &n));
	assert_true(n > 16384);
	assert_true(h2_mem_framebuf(&s.s->mem, &p, &n));
	side_free(&c);
	side_free(&s);
}

static void test_idle_trimmed(void **state)
{
	struct side c, s;
	struct rec *r;

	(void)state;
	side_init(&c, H2_CLIENT, NULL);
	side_init(&s, H2_SERVER, NULL);
	exchange(&c, &s);
	assert_true(h2_idle(c.s) && h2_idle(s.s));
	assert_true(resident_pages(&s) > 0); /* the response was packed there */
	assert_true(h2_trim(c.s) >= 16394);
	assert_true(h2_trim(s.s) >= 16394);
	assert_int_equal(resident_pages(&c), 0);
	assert_int_equal(resident_pages(&s), 0);
	/* still a working connection, the response body packed in refaulted pages */
	r = exchange(&c, &s);
	assert_int_equal(r->body_len, sizeof(big));
	assert_memory_equal(r->body, big, sizeof(big));
	assert_true(resident_pages(&s) > 0);
	assert_true(h2_trim(s.s) > 0);
	side_free(&c);
	side_free(&s);
}

static void test_busy_not_trimmed(void **state)
{
	struct side c, s;
	int32_t sid;
	const uint8_t *p;
	size_t n;

	(void)state;
	side_init(&c, H2_CLIENT, NULL);
	side_init(&s, H2_SERVER, NULL);
	pump(&c, &s);
	assert_true(h2_idle(c.s));
	sid = get(&c, "/", NULL, 0); /* queued, not sent */
	assert_false(h2_idle(c.s));
	assert_int_equal(h2_trim(c.s), 0);
	assert_int_equal(h2_out(c.s, &p, &n), 0); /* handed out, not marked sent */
	assert_true(n > 0);
	assert_int_equal(h2_trim(c.s), 0);
	h2_feed(s.s, p, n);
	h2_out_done(c.s, n);
	pump(&c, &s);
	assert_false(h2_idle(s.s)); /* the stream is open on the server */
	assert_int_equal(h2_trim(s.s), 0);
	respond(&s, sid);
	pump(&c, &s);
	assert_true(h2_idle(s.s) && h2_idle(c.s));
	assert_true(h2_trim(s.s) > 0);
	side_free(&c);
	side_free(&s);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framebuf_recognized),
	    cmocka_unit_test(test_idle_trimmed),
	    cmocka_unit_test(test_busy_not_trimmed),
	};

	(void)field; /* test_h2_pair.h's, unused here */
	(void)send_body;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
