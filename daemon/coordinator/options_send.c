/* Runs in the coordinator: turns the effective options into the name=value
 * pairs a worker rebuilds its own struct options from. */
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

void coord_options_fill(struct coord *co, Snare__WorkerConfig *cfg)
{
	struct kv_acc acc = {NULL, 0};

	options_foreach_set(&co->cli->opts, kv_add, &acc);
	cfg->options = acc.v;
	cfg->n_options = acc.n;
}

void coord_options_release(Snare__WorkerConfig *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_options; i++) {
		free(cfg->options[i]->key);
		free(cfg->options[i]->value);
		free(cfg->options[i]);
	}
	free(cfg->options);
	cfg->options = NULL;
	cfg->n_options = 0;
}
