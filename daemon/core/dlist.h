/* Intrusive doubly linked lists: a list is a `first` pointer (and, for the
 * DLIST_* forms, a `last` pointer); each element carries its own prev/next
 * link fields, named by the caller so one element can sit on several lists.
 * Macros because each list names its own link fields; `first`/`last` are
 * lvalues, `e` an element pointer without side effects.  Trusts its caller
 * to pass only elements that are (for unlink) or are not (for add) on the
 * list. */
#ifndef SNARE_CORE_DLIST_H
#define SNARE_CORE_DLIST_H

/* Pushes e in front of first (a list without a tail pointer). */
#define LIST_PUSH(first, e, prev, next)                                                            \
	do {                                                                                       \
		(e)->prev = NULL;                                                                  \
		(e)->next = (first);                                                               \
		if (first)                                                                         \
			(first)->prev = (e);                                                       \
		(first) = (e);                                                                     \
	} while (0)

/* Unlinks e from a list without a tail pointer; e's link fields are left as
 * they were. */
#define LIST_UNLINK(first, e, prev, next)                                                          \
	do {                                                                                       \
		if ((e)->prev)                                                                     \
			(e)->prev->next = (e)->next;                                               \
		else                                                                               \
			(first) = (e)->next;                                                       \
		if ((e)->next)                                                                     \
			(e)->next->prev = (e)->prev;                                               \
	} while (0)

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
		if (!(e)->next)                                                                    \
			(last) = (e)->prev;                                                        \
		LIST_UNLINK(first, e, prev, next);                                                 \
	} while (0)

#endif
