/* What the two HTTP/1.1 framings share (h1_client.c facing a server,
 * h1_server.c facing a client): the connection-specific field names,
 * writing fields, chunks and trailers the engine submitted, and reading a
 * peer's body (Content-Length, chunked with its trailers) within a window.
 * Runs in a worker; the body bytes are the peer's and untrusted
 * (daemon/http1/chunked.c checks them); what is written comes from the
 * engine and is checked against request and response splitting. */
#ifndef SNARE_WORKER_H1_FRAME_H
#define SNARE_WORKER_H1_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "h2/h2.h"
#include "http1/http1.h"
#include "worker/http_framing.h"

#define H1F_WINDOW (64u << 10) /* body delivered and not consumed yet */
#define H1F_CHUNK_HEAD 24      /* "<hex size>\r\n" and the CRLF after the data */

bool h1f_name_is(const struct h2_field *f, const char *name);
/* Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade,
 * HTTP2-Settings, TE: the framing writes its own. */
bool h1f_conn_specific(const struct h2_field *f);
/* Names are tokens, values hold no CR, LF, NUL or other controls. */
bool h1f_fields_ok(const struct h2_field *f, size_t n);
int h1f_put(struct buf *b, const char *p, size_t n);
int h1f_put_field(struct buf *b, const struct h2_field *f);
/* One chunk, or the data as is when !chunked.  0 or -ENOBUFS. */
int h1f_put_data(struct buf *b, bool chunked, const uint8_t *p, size_t n);
/* The last chunk with the trailers (connection-specific ones, Host and
 * Content-Length left out).  0 or -ENOBUFS. */
int h1f_put_last_chunk(struct buf *b, const struct h2_field *t, size_t n);
/* How much body may be queued in b now, keeping it below max (0: full). */
size_t h1f_room(const struct buf *b, size_t max);

/* A peer's body being read: payload goes to on_data, chunked trailers to
 * on_trailers (HTTP/2 form), then `done` is set. */
struct h1f_body {
	enum http1_body kind;
	uint64_t left;
	struct http1_chunked ch;
	struct buf tail;	 /* chunked: bytes since the last payload (trailers) */
	const uint8_t *data_end; /* where the last payload piece of a feed ended */
	size_t unconsumed;
	bool done;
	void (*on_data)(void *arg, const uint8_t *p, size_t n);
	void (*on_trailers)(void *arg, const struct hf_field *f, size_t n);
	void *arg;
};

void h1f_body_init(struct h1f_body *b, void (*on_data)(void *, const uint8_t *, size_t),
		   void (*on_trailers)(void *, const struct hf_field *, size_t), void *arg);
void h1f_body_free(struct h1f_body *b);
void h1f_body_start(struct h1f_body *b, enum http1_body kind, uint64_t len);
/* Whether the body is empty (none, or a zero Content-Length). */
bool h1f_body_empty(const struct h1f_body *b);
/* Body bytes from `in` as far as the window allows: 1 when some were used,
 * 0 when none could be, -1 on bad chunk framing. */
int h1f_body_feed(struct h1f_body *b, struct buf *in);
void h1f_body_consume(struct h1f_body *b, size_t n);

/* What either HTTP/1.1 framing holds: the engine's events, the limits, the
 * bytes to send, the stream in progress (0: none; ids 1, 3, 5, ...), the
 * head being parsed and the peer's body (delivered on the stream). */
struct h1f_side {
	struct hf_events ev;
	void *eng;
	struct http1_limits lim;
	struct buf out;
	int32_t sid, next_sid;
	struct http1_head *rh;
	struct h1f_body body;
};

/* out holds up to 2 * out_max plus a head. */
void h1f_side_init(struct h1f_side *s, const struct hf_limits *lim, const struct hf_events *ev,
		   void *eng, size_t out_max);
void h1f_side_free(struct h1f_side *s);

#endif
