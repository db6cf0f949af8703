/* Unit tests for core/heap.c: items come out smallest key first, every
 * item's position field names its slot, moving an item up or down keeps the
 * order, removal from the middle keeps it too, and an item not in the heap
 * is left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "core/heap.h"

#define N 500

struct item {
	int tag;
	size_t pos;
};

static void check_positions(const struct heap *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		assert_int_equal(((struct item *)h->v[i].item)->pos, i);
}

/* N items in h at random keys from base to base + 999. */
static void fill(struct heap *h, struct item *it, unsigned seed, uint64_t base)
{
	size_t i;

	srand(seed);
	heap_init(h, offsetof(struct item, pos));
	for (i = 0; i < N; i++) {
		it[i].tag = (int)i;
		it[i].pos = HEAP_NONE;
		heap_set(h, &it[i], base + (uint64_t)(rand() % 1000));
	}
}

static void drain_in_order(struct heap *h)
{
	uint64_t last = 0;
	struct item *t;

	while ((t = heap_top(h)) != NULL) {
		assert_true(heap_top_key(h) >= last);
		last = heap_top_key(h);
		heap_remove(h, t);
		assert_int_equal(t->pos, HEAP_NONE);
		check_positions(h);
	}
}

static void test_heap_order(void **state)
{
	static struct item it[N];
	struct heap h;

	(void)state;
	fill(&h, it, 7, 0);
	assert_int_equal(h.n, N);
	check_positions(&h);
	drain_in_order(&h);
	heap_free(&h);
}

static void test_heap_move_and_remove(void **state)
{
	static struct item it[N];
	struct heap h;
	size_t i;

	(void)state;
	fill(&h, it, 11, 500);
	heap_set(&h, &it[42], 1); /* up to the top */
	assert_ptr_equal(heap_top(&h), &it[42]);
	assert_int_equal(h.n, N);
	heap_set(&h, &it[42], 5000); /* down again */
	assert_ptr_not_equal(heap_top(&h), &it[42]);
	for (i = 0; i < N; i += 3) /* from the middle */
		heap_remove(&h, &it[i]);
	heap_remove(&h, &it[0]); /* not in: nothing */
	check_positions(&h);
	assert_int_equal(h.n, N - (N + 2) / 3);
	drain_in_order(&h);
	assert_null(heap_top(&h));
	heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_heap_order),
	    cmocka_unit_test(test_heap_move_and_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
