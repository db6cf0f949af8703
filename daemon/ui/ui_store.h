/* The ui's flow storage, bounded: every flow is one compact summary in
 * memory (fixed fields plus its strings in an arena, both in fixed-size
 * pages so nothing is ever copied to grow) and an id index; the whole flow,
 * bodies included, is appended to a private unlinked spill file in snare's
 * flow format (daemon/output/flowfile.h) and read back with pread when a
 * page asks for it.  Runs in the ui; flows are the coordinator's word about
 * what workers saw, so every string is cut to a bound. */
#ifndef SNARE_UI_STORE_H
#define SNARE_UI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util.h"
#include "flow.pb-c.h"

#define UI_STR_MAX 2048		/* bytes kept of one summary string (url, error, ...) */
#define UI_FLOWS_MAX (1u << 24) /* flows kept; the oldest are not dropped: new ones are */

enum ui_kind { UI_HTTP, UI_WEBSOCKET, UI_TCP, UI_UDP, UI_DNS };

/* The summary's strings, in this order in the arena. */
enum ui_str {
	UI_S_ID,
	UI_S_METHOD,
	UI_S_SCHEME,
	UI_S_HOST,
	UI_S_PATH,
	UI_S_VERSION,
	UI_S_CTYPE,
	UI_S_CLIENT,
	UI_S_SERVER,
	UI_S_PROCESS,
	UI_S_ERROR,
	UI_S_DNS,
	UI_S_DST, /* the server address asked for, when its text differs from UI_S_SERVER */
	UI_S_COUNT
};

#define UI_F_MARKED 1u
#define UI_F_STATUS 2u	/* status is set */
#define UI_F_PROCESS 4u /* pid is set */
#define UI_F_DURATION 8u
#define UI_F_REQ 16u	/* HTTP: has a request; DNS: has a query */
#define UI_F_RESP 32u	/* HTTP: has a response; DNS: has an answer */
#define UI_F_PORT 64u	/* the request names its port (port is set) */
#define UI_F_LIGHT 128u /* the summary rebuilds the flow for summary-only filters (ui_light.h) */

enum { UI_REPLAY_NONE, UI_REPLAY_REQUEST, UI_REPLAY_RESPONSE };

struct ui_sum {
	uint64_t off; /* the record in the spill file (after its length prefix) */
	uint32_t len;
	uint32_t seq; /* 1, 2, ... */
	uint32_t str; /* the strings: page << 20 | offset */
	uint32_t messages;
	uint32_t pid;
	uint16_t status;
	uint16_t port;
	uint8_t kind;
	uint8_t flags;
	uint8_t replay; /* is_replay: UI_REPLAY_* (in the padding before req_size) */
	uint64_t req_size, resp_size;
	double ts_start, duration_ms;
};

struct ui_store;

/* spill_fd: an empty file open for reading and writing (the store owns it). */
struct ui_store *ui_store_new(int spill_fd);
void ui_store_free(struct ui_store *s);
/* Adds (or, for a known id, replaces) a flow: 0 with *index, -ENOSPC when
 * the store is full, -EIO when the spill file cannot be written. */
int ui_store_add(struct ui_store *s, const Snare__Flow *f, size_t *index) SNARE_MUST_CHECK;
size_t ui_store_count(const struct ui_store *s);
const struct ui_sum *ui_store_sum(const struct ui_store *s, size_t i);
void ui_store_set_marked(struct ui_store *s, size_t i, bool marked);
/* A summary string (NUL-terminated, at most UI_STR_MAX bytes; "" if none)
 * and whether it was present at all. */
const char *ui_store_str(const struct ui_store *s, size_t i, enum ui_str which, bool *present);
/* All the summary strings of flow i in one walk, NULL where absent. */
void ui_store_strs(const struct ui_store *s, size_t i, const char *v[UI_S_COUNT]);
/* The index of the flow with this id, or -1. */
ssize_t ui_store_find(const struct ui_store *s, const char *id);
/* The whole flow read back (free with snare__flow__free_unpacked), or NULL. */
Snare__Flow *ui_store_load(const struct ui_store *s, size_t i);
/* Calls fn for each flow i in [from, to) in order, read back in large
 * sequential reads and unpacked into a scratch arena (the flow is valid
 * during the call only): the fast path for matching every flow against a
 * filter.  A flow that cannot be read is skipped.  0, or -ENOMEM. */
typedef void (*ui_store_scan_fn)(size_t i, const Snare__Flow *f, void *arg);
int ui_store_scan(const struct ui_store *s, size_t from, size_t to, ui_store_scan_fn fn,
		  void *arg) SNARE_MUST_CHECK;
/* The raw record (its serialized bytes) into buf of at least sum->len bytes. */
int ui_store_read_raw(const struct ui_store *s, size_t i, uint8_t *buf) SNARE_MUST_CHECK;
/* Room for the addresses of a summary, as "host:port" ("[v6]:port"). */
struct ui_addrbuf {
	char client[300], server[300], dst[300];
};
/* ui_summary.c: the summary of f (strings point into f or into b). */
void ui_summarize(const Snare__Flow *f, struct ui_sum *m, const char *v[UI_S_COUNT],
		  struct ui_addrbuf *b);
/* The kind's name in the API ("http", "websocket", "tcp", "udp", "dns"). */
const char *ui_kind_name(unsigned kind);

/* Bytes of the spill file, and of memory the store holds (tests). */
uint64_t ui_store_spill_bytes(const struct ui_store *s);
size_t ui_store_mem_bytes(const struct ui_store *s);

#endif
