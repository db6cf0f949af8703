/* Runs in the coordinator and the spawner: turns options into the
 * name=value pairs a worker (or, after a reload, the coordinator) rebuilds
 * its own struct options from. */
#include <stdlib.h>

#include "coordinator/coord.h"

struct kv_acc {
	Snare__KeyValue **v;
	size_t n;
};

static void kv_add(const char *name, const char *value, void *arg)
{
	struct kv_acc *acc = arg;
	Snare__KeyValue *kv = xmalloc(sizeof(*kv));

	snare__key_value__init(kv);
	kv->key = xstrdup(name);
	kv->value = xstrdup(value);
	acc->v = xrealloc(acc->v, (acc->n + 1) * sizeof(*acc->v));
	acc->v[acc->n++] = kv;
}

void coord_options_pairs(const struct options *o, Snare__KeyValue ***v, size_t *n)
{
	struct kv_acc acc = {NULL, 0};

	options_foreach_set(o, kv_add, &acc);
	*v = acc.v;
	*n = acc.n;
}

void coord_options_pairs_free(Snare__KeyValue **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i]->key);
		free(v[i]->value);
		free(v[i]);
	}
	free(v);
}
