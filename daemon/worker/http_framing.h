/* The interface between the HTTP engine and a wire framing (HTTP/1 today,
 * HTTP/2 and HTTP/3 next).  Runs in a worker; a framing trusts nothing its
 * peer sends and hands the engine only well-formed messages.
 *
 * The engine (http_route.c, http_exchange.c, flows.c, pages.c) holds the
 * semantics of an exchange: where a request goes, proxyauth, host rules,
 * error pages and mitm.it, body_size_limit and stream_large_bodies, the
 * WebSocket upgrade, the flow record and which server connection a request
 * reuses.  A framing holds only the wire: it turns the bytes of one side of
 * a connection into per-stream events and turns what the engine submits
 * into bytes.  Every connection side has one framing; the two sides of an
 * exchange need not have the same one (h2 client, h1 server and back).
 *
 * Streams.  A stream is one request and its response, numbered by the
 * framing (HTTP/1: 1, 3, 5, ... one at a time on the connection; HTTP/2:
 * the stream id).  On a side facing the client (HF_SERVER) streams open when
 * a request head arrives; on a side facing a server (HF_CLIENT) the engine
 * opens one with submit_head(sid 0) and gets its id back.
 *
 * Events (struct hf_events, the engine's side), per stream in wire order:
 *   on_head      the request or response head (1xx heads too, except 101
 *                which ends the framing's part: the engine switches layers);
 *   on_data      body pieces, as they arrive, without transfer framing
 *                (no chunk sizes, no DATA frame padding);
 *   on_trailers  trailer fields, when the peer sent some;
 *   on_end       the peer ended its side of the stream;
 *   on_reset     the stream ended abnormally: RST_STREAM (h2), or on HTTP/1
 *                a connection closed mid-message / bad chunk framing, with
 *                an error code (HF_E_*, RFC 9113 section 7 values);
 *   on_close     the stream's last call, exactly once per stream the engine
 *                saw;
 *   on_send_space  the stream can take more body (after submit_data
 *                returned less than offered);
 *   on_conn_error  the whole side is done: GOAWAY, a malformed head (with
 *                the HTTP status the engine should answer on HTTP/1: 400,
 *                431, 505; an HF_SERVER framing takes that answer from the
 *                callback as submit_head on sid 0), a flood;
 *   on_goaway    (may be NULL; HTTP/2) the peer's GOAWAY that ends the side,
 *                just before its on_conn_error: streams above last_sid were
 *                not processed (RFC 9113 6.8), those at or below it were.
 *                A framing with no such frame never calls it: every stream
 *                open at on_conn_error may have been processed.
 * Pointers given to a callback are valid only during the call.  Callbacks
 * may submit and consume, never feed or flush.
 *
 * Back-pressure.  submit_data takes what fits (0: full; on_send_space
 * follows), so the engine moves a body piece from one side only as far as
 * the other side takes it.  In the other direction the framing opens the
 * peer's window only when the engine calls consume() for bytes the other
 * side took: HTTP/1 stops reading the socket (its bounded stream buffer),
 * HTTP/2 withholds WINDOW_UPDATE.  Memory per stream and per connection is
 * bounded either way.
 *
 * Heads.  struct hf_head is framing-neutral: pseudo-header values apart,
 * fields in wire order without them (HTTP/1: method and target from the
 * request line, authority from Host; HTTP/2: the pseudo-headers).  Field
 * layout matches the h2 module's struct h2_field, so the HTTP/2 framing
 * passes its fields through unchanged.  Connection-specific fields
 * (Connection, Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection)
 * are the framing's business: HTTP/1 reads and writes them, HTTP/2 drops
 * them (RFC 9113 8.2.2). */
#ifndef SNARE_WORKER_HTTP_FRAMING_H
#define SNARE_WORKER_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

/* Stream error codes, RFC 9113 section 7's values for every framing. */
enum hf_error {
	HF_E_NO_ERROR = 0x0,
	HF_E_PROTOCOL = 0x1,
	HF_E_INTERNAL = 0x2,
	HF_E_REFUSED = 0x7,
	HF_E_CANCEL = 0x8,
	HF_E_CALM = 0xb, /* ENHANCE_YOUR_CALM: a flood */
};

/* Which end of a connection the framing speaks for. */
enum hf_side {
	HF_SERVER, /* facing a client: requests arrive, responses are submitted */
	HF_CLIENT, /* facing a server: requests are submitted, responses arrive */
};

struct hf_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct hf_head {
	/* requests (NULL when absent); HTTP/1 absolute-form fills scheme and
	 * authority from the target, origin-form leaves them to Host */
	const char *method, *scheme, *authority, *path;
	const char *protocol; /* an extended CONNECT's :protocol (RFC 8441), else NULL */
	int status;	      /* responses */
	int version;	      /* 10, 11, 20 or 30: for flows and for the HTTP/1 side */
	const struct hf_field *fields;
	size_t nfields;
	int64_t content_length; /* -1: not given (or chunked / close-delimited) */
};

/* Limits a framing enforces on what it receives. */
struct hf_limits {
	size_t max_head_bytes; /* max_header_bytes */
	size_t max_fields;     /* max_headers */
	uint32_t max_streams;  /* concurrent streams (1 on HTTP/1) */
	bool connect_protocol; /* HF_SERVER on h2: extended CONNECT may be offered (RFC 8441) */
	uint32_t conn_window;  /* h2: the connection's receive window (0: the default) */
	bool settings_sent;    /* h2, HF_SERVER: its SETTINGS already went out (h2_framing.h) */
};

/* What a framing delivers to the engine; `eng` is the pointer given to open. */
struct hf_events {
	void (*on_head)(void *eng, int32_t sid, const struct hf_head *h, bool end_stream);
	void (*on_data)(void *eng, int32_t sid, const uint8_t *p, size_t n);
	void (*on_trailers)(void *eng, int32_t sid, const struct hf_field *f, size_t n);
	void (*on_end)(void *eng, int32_t sid);
	void (*on_reset)(void *eng, int32_t sid, uint32_t code, bool by_peer);
	void (*on_close)(void *eng, int32_t sid);
	void (*on_send_space)(void *eng, int32_t sid);
	void (*on_conn_error)(void *eng, uint32_t code, int http_status, const char *why);
	void (*on_goaway)(void *eng, uint32_t code, int32_t last_sid);
};

struct http_framing;

/* One wire protocol.  Functions return 0 or a negative errno unless said. */
struct http_framing_ops {
	const char *name; /* "HTTP/1.1", "HTTP/2.0": the flow's http_version */
	const char *alpn; /* "http/1.1", "h2" */
	struct http_framing *(*open)(enum hf_side side, const struct hf_limits *lim,
				     const struct hf_events *ev, void *eng);
	void (*free)(struct http_framing *f);
	/* Parses the received bytes in `in` (consuming what it used) and
	 * delivers events.  -EPROTO: the side is finished; flush, then close. */
	int (*feed)(struct http_framing *f, struct buf *in);
	/* Appends what is to be sent to `out`, as far as its room allows. */
	int (*flush)(struct http_framing *f, struct buf *out);
	/* Nothing more will be read or written on this side. */
	bool (*done)(const struct http_framing *f);
	/* HF_SERVER: the response head on sid.  HF_CLIENT: sid 0 opens a stream
	 * with a request head; returns its id (> 0).  Negative errno on failure. */
	int32_t (*submit_head)(struct http_framing *f, int32_t sid, const struct hf_head *h,
			       bool end_stream);
	/* Queues body bytes: how many were taken (0: full, on_send_space follows),
	 * or a negative errno. */
	ssize_t (*submit_data)(struct http_framing *f, int32_t sid, const uint8_t *p, size_t n);
	/* Ends the body once queued bytes are out, with trailers when n > 0. */
	int (*submit_end)(struct http_framing *f, int32_t sid, const struct hf_field *trailers,
			  size_t n);
	int (*submit_reset)(struct http_framing *f, int32_t sid, uint32_t code);
	/* Resets sid with code once the body queued before has gone out (a
	 * response cut short after what arrived of it).  NULL: the engine
	 * uses submit_reset. */
	int (*submit_abort)(struct http_framing *f, int32_t sid, uint32_t code);
	/* The other side took n bytes of sid's body: let the peer send more. */
	int (*consume)(struct http_framing *f, int32_t sid, size_t n);
	/* HF_CLIENT: whether another request may start now (HTTP/1: idle and
	 * kept alive; HTTP/2: below the peer's MAX_CONCURRENT_STREAMS, no GOAWAY):
	 * the engine's test for upstream connection reuse. */
	bool (*can_open)(const struct http_framing *f);
};

#endif
