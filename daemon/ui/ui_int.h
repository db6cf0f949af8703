/* The ui role's internals, shared by its files: the process state, a
 * browser connection, a parsed request and the helpers that answer it.
 * Runs in the ui; browsers are untrusted peers, the coordinator is trusted
 * only as far as ipc/'s validation goes. */
#ifndef SNARE_UI_INT_H
#define SNARE_UI_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "http1/http1.h"
#include "ipc/ipc.h"
#include "ui/ui_access.h"
#include "ui/ui_events.h"
#include "ui/ui_store.h"
#include "ws/ws.h"

#define UI_CHAN_FD 3
#define UI_LISTEN_FD 4
#define UI_SPILL_FD 5
#define UI_RFILE_FD 6

#define UI_CONNS_MAX 256	   /* browser connections at once */
#define UI_HEAD_MAX (64u * 1024)   /* one request head */
#define UI_BODY_MAX (64u << 20)	   /* one request body (a flow file to import) */
#define UI_WS_QUEUE_MAX (1u << 20) /* pushes queued for one page before they are dropped */
#define UI_OUT_LOW (256u * 1024)   /* a streamed answer is refilled below this */
#define UI_PIECES_MAX (24u << 20)  /* body pieces waiting for their flow */
#define UI_LIMIT_DEFAULT 200	   /* /api/flows rows */
#define UI_LIMIT_MAX 5000

struct ui;
struct ui_conn;

/* A long answer produced as the socket takes it (flow files, HAR). */
struct ui_stream {
	uint32_t *idx; /* flow indexes, owned */
	size_t n, pos;
	int (*fill)(struct ui *ui, struct ui_conn *c); /* appends the next part; 1 when done */
	void *ctx;				       /* the fill's own state, if any */
	void (*ctx_free)(void *ctx);
};

struct ui_conn {
	struct ui *ui;
	int fd;
	struct loop_io io;
	struct ui_conn *next, *prev;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	bool close_after; /* close once out is written */
	bool ws;	  /* upgraded to a WebSocket */
	bool waiting;	  /* its answer waits for the proxy (an intercept edit) */
	struct ws_parser wsp;
	uint64_t ws_dropped; /* pushes dropped, not yet told */
	struct ui_stream stream;
};

/* One request as the handlers see it: pointers into the connection's
 * buffer (valid until the answer is queued). */
struct ui_req {
	char method[16];
	char path[2048];  /* percent-decoded, without the query */
	char query[4096]; /* raw, without '?' */
	const char *host, *cookie, *csrf, *ws_key, *upgrade;
	const uint8_t *body;
	size_t body_len;
	const struct http1_head *head;
	char *args[4]; /* the route's wildcards, decoded */
};

struct ui_wg {
	char *name, *text, *svg;
};

struct ui_filter_cache {
	char *expr;
	struct filter *f;
	uint32_t *idx;
	size_t n, cap, upto;
	uint64_t mark_gen;
	struct loop_timer timer; /* matches the rest in slices (ui_query.c) */
	bool timer_ready;
};

struct ui_piece {
	struct ui_piece *next;
	char *flow_id;
	unsigned part;
	uint8_t *data;
	size_t len;
};

struct ui {
	struct loop *loop;
	struct ipc_chan chan;
	bool chan_open;
	bool running;
	int listen_fd;
	struct loop_io listen_io;
	struct ui_conn *conns;
	size_t nconns;
	struct ui_access access;
	struct ui_store *store;
	struct ui_events events;
	char **modes;
	size_t nmodes;
	struct ui_wg *wg;
	size_t nwg;
	struct ui_static *files;
	uint64_t coord_dropped; /* views the coordinator could not send us */
	uint64_t mark_gen;
	struct ui_filter_cache cache;
	struct filter *view; /* view_filter: only matching flows are kept */
	json_t *push;	     /* changed flows' summaries waiting for the next push (ui_ws.c) */
	json_t *push_new;    /* new flows' [seq, id] waiting for it */
	struct loop_timer push_timer;
	struct ui_piece *pieces;
	size_t pieces_bytes;
	int exit_code;
};

/* ui_conn.c: connections and answers */
void ui_conn_accept(struct loop_io *io, uint32_t events);
void ui_conn_close(struct ui_conn *c);
/* Queues bytes on c (no limit: callers bound what they queue). */
void ui_out_append(struct ui_conn *c, const void *p, size_t n);
size_t ui_out_pending(const struct ui_conn *c);
void ui_out_kick(struct ui_conn *c);
/* An answer: status line, the usual headers, extra (CRLF-terminated lines or
 * NULL), then the body. */
void ui_respond(struct ui_conn *c, int status, const char *ctype, const char *extra,
		const void *body, size_t len);
void ui_respond_text(struct ui_conn *c, int status, const char *text);
/* Takes j (decref'd). */
void ui_respond_json(struct ui_conn *c, int status, json_t *j);
void ui_respond_error(struct ui_conn *c, int status, const char *msg);
/* The decoded value of query parameter name, or NULL when absent. */
const char *ui_param(const struct ui_req *r, const char *name, char *out, size_t outlen);

/* ui_api.c: routing and the JSON API */
void ui_api_dispatch(struct ui *ui, struct ui_conn *c, struct ui_req *r);
/* ui_replay.c: POST api/flows/ID/replay */
void ui_api_replay(struct ui *ui, struct ui_conn *c, struct ui_req *r);

/* ui_ws.c: live updates */
void ui_ws_upgrade(struct ui *ui, struct ui_conn *c, const struct ui_req *r);
void ui_ws_input(struct ui_conn *c);
void ui_ws_broadcast(struct ui *ui, json_t *msg); /* takes msg */
void ui_ws_drained(struct ui_conn *c);
/* A new or changed flow for the pages, pushed together with the others of
 * the moment: one "flows" message at most every UI_PUSH_MS (or per
 * UI_PUSH_MAX flows), so a page costs the ui one frame per batch, not per
 * flow.  A new flow is only announced ([seq, id]: the page fetches the rows
 * it shows); a changed one is pushed as its summary. */
#define UI_PUSH_MS 50
#define UI_PUSH_MAX 500
void ui_ws_push_flow(struct ui *ui, size_t i, bool is_new);
void ui_ws_push_timer(struct loop_timer *t); /* ui->push_timer's callback */
void ui_ws_push_free(struct ui *ui);

/* ui_json.c: flows as JSON (docs/web-api.md) */
json_t *ui_json_str(const char *s);
json_t *ui_json_bytes(const uint8_t *p, size_t n);
json_t *ui_json_summary(const struct ui_store *s, size_t i);
json_t *ui_json_flow(const struct ui_store *s, size_t i, const Snare__Flow *f);
json_t *ui_json_event(const struct ui_event *ev);
/* ui_cert.c: the server certificate's names and validity, or null */
json_t *ui_json_cert(const Snare__TlsInfo *t);

/* ui_query.c: filter, sort, page */
/* The indexes of the flows matching expr (every flow when expr is NULL or
 * empty), sorted by field in order; *idx is the caller's.  0, or -EINVAL
 * with one line in err. */
int ui_query(struct ui *ui, const char *expr, const char *field, bool desc, uint32_t **idx,
	     size_t *n, char *err, size_t errlen);
/* The same for the list: a filter is matched for at most UI_QUERY_ANSWER_MS
 * (or until `want` flows match, in seq order), the rest in the background in
 * slices between other work.  *complete says whether *idx holds every match;
 * when not, it holds the matches so far in seq order (ascending seq sort) or
 * nothing (any other order), and *scanned how many flows were matched. */
#define UI_QUERY_ANSWER_MS 60
int ui_query_first(struct ui *ui, const char *expr, const char *field, bool desc, size_t want,
		   uint32_t **idx, size_t *n, bool *complete, size_t *scanned, char *err,
		   size_t errlen);
/* Whether flow i matches expr: 1, 0, or -EINVAL with err. */
int ui_query_match(struct ui *ui, const char *expr, size_t i, char *err, size_t errlen);
bool ui_query_field_ok(const char *field);
void ui_query_free(struct ui *ui);

/* ui_static.c: the page's files, read into memory before the sandbox */
struct ui_static;
struct ui_static *ui_static_load(const char *dir, char *err, size_t errlen);
/* The file at path ("/" is index.html), or NULL. */
bool ui_static_get(const struct ui_static *s, const char *path, const uint8_t **data, size_t *len,
		   const char **ctype);
void ui_static_free(struct ui_static *s);

/* ui_qr.c: a QR code as SVG (libqrencode) */
char *ui_qr_svg(const char *text);

/* ui_export.c: /flows.snare and /flows.har */
void ui_export_snare(struct ui *ui, struct ui_conn *c, uint32_t *idx, size_t n);
void ui_export_har(struct ui *ui, struct ui_conn *c, uint32_t *idx, size_t n);
int ui_import(struct ui *ui, const uint8_t *data, size_t len, size_t *count, char *err,
	      size_t errlen);
/* The same from a file descriptor (closed). */
int ui_import_fd(struct ui *ui, int fd, size_t *count, char *err, size_t errlen);

/* ui_main.c: a flow or event arrived (from the coordinator or a file) */
int ui_take_flow(struct ui *ui, const Snare__Flow *f);

#endif
