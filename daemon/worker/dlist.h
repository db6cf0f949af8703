/* Intrusive doubly linked lists with a head and a tail pointer, for the
 * worker's lists ordered by age (certcache.c's leaves, conn_wait.c's
 * waiting connections).  Macros because each list names its own link
 * fields; `first`/`last` are lvalues, `e` an element pointer without side
 * effects. */
#ifndef SNARE_WORKER_DLIST_H
#define SNARE_WORKER_DLIST_H

/* Appends e after last (e's link fields are overwritten). */
#define DLIST_APPEND(first, last, e, prev, next)                                                   \
	do {                                                                                       \
		(e)->prev = (last);                                                                \
		(e)->next = NULL;                                                                  \
		if (last)                                                                          \
			(last)->next = (e);                                                        \
		else                                                                               \
			(first) = (e);                                                             \
		(last) = (e);                                                                      \
	} while (0)

/* Unlinks e, which is on the list; its own link fields are left as they were. */
#define DLIST_UNLINK(first, last, e, prev, next)                                                   \
	do {                                                                                       \
		if ((e)->prev)                                                                     \
			(e)->prev->next = (e)->next;                                               \
		else                                                                               \
			(first) = (e)->next;                                                       \
		if ((e)->next)                                                                     \
			(e)->next->prev = (e)->prev;                                               \
		else                                                                               \
			(last) = (e)->prev;                                                        \
	} while (0)

#endif
