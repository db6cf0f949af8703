/* Runs in the worker. Internal to the h2 module: the session and per-stream state shared by
 * session.c (life and bytes), recv.c (libnghttp2's receive callbacks), submit.c (what the owner
 * sends) and guard.c (floods and fatal errors). */
#ifndef SNARE_H2_INT_H
#define SNARE_H2_INT_H

#include <nghttp2/nghttp2.h>

#include "h2/h2.h"

struct h2_stream {
	int32_t sid;
	void *data; /* the owner's */
	struct h2_stream *prev, *next;
	bool announced;	   /* the owner saw this stream (on_head or it submitted it) */
	bool refused;	   /* header list too large: ignored, answered by us */
	bool malformed;	   /* a field libnghttp2 found invalid: reset, never shown */
	bool space_wanted; /* h2_submit_data returned short: on_send_space owed */
	bool has_provider; /* a body follows the head we sent */
	bool deferred;	   /* the data source ran dry and nghttp2 waits for h2_submit_data */
	bool eof;	   /* h2_submit_end was called */
	bool reset_told;   /* the owner got on_reset for this stream */
	bool reset_after;  /* h2_submit_reset_after: RST_STREAM reset_code once buf is sent */
	uint32_t reset_code;
	size_t head_bytes; /* header list size so far (RFC 9113 6.5.2 counting) */
	size_t unconsumed; /* bytes given to on_data, not yet h2_consume'd */
	struct h2_msg in;  /* the header block being received */
	struct h2_msg trailers_out;
	uint8_t *buf; /* queued body bytes: buf[off..len) */
	size_t off, len;
};

/* The session's allocator state (mem.c). */
struct h2_mem {
	void *framebuf; /* libnghttp2's outbound frame buffer, once recognized */
	bool creating;	/* the session is being made */
};

struct h2_session {
	nghttp2_session *ng;
	struct h2_mem mem; /* ng's allocator state: outlives ng */
	enum h2_role role;
	struct h2_options opt;
	struct h2_callbacks cb;
	void *owner;
	struct h2_stream *streams; /* every live stream, for freeing and on_send_space */
	/* The chunk h2_out offers: from nghttp2_session_mem_send or our own GOAWAY. */
	const uint8_t *out;
	size_t out_len;
	bool dead;	      /* a fatal error: only our GOAWAY is sent, then done */
	bool goaway_sent;     /* dead and its GOAWAY handed out */
	uint8_t goaway[17];   /* our GOAWAY frame for a dead session */
	bool abuse_reported;  /* on_abuse is called once */
	bool settings_seen;   /* the peer's first SETTINGS frame came */
	bool connect_offered; /* h2_offer_connect_protocol submitted its SETTINGS */
	/* The SETTINGS frame the owner wrote (settings_sent): the first pre_len bytes the session
	 * makes are compared with it and left out; pre_off of them so far. */
	uint8_t pre[H2_SETTINGS_MAX];
	size_t pre_len, pre_off;
	/* The Rapid Reset token bucket (server side). */
	double rst_tokens;
	uint64_t rst_ms;
};

struct h2_stream *h2_stream_new(struct h2_session *s, int32_t sid);
void h2_stream_free(struct h2_session *s, struct h2_stream *st);
struct h2_stream *h2_stream_find(const struct h2_session *s, int32_t sid);

void h2_recv_callbacks(nghttp2_session_callbacks *cbs);
ssize_t h2_read_body(nghttp2_session *ng, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
		     nghttp2_data_source *src, void *user);
void h2_notify_space(struct h2_session *s);

/* libnghttp2's allocator for a session whose state is m (mem.c). */
nghttp2_mem h2_mem_allocator(struct h2_mem *m);
/* Gives back the pages of the outbound frame buffer (its content must be dead: nothing queued);
 * the bytes given back, 0 when none. */
size_t h2_mem_trim(struct h2_mem *m);
/* The frame buffer as recognized and its pages (for tests): false when it was not. */
bool h2_mem_framebuf(const struct h2_mem *m, void **p, size_t *n);

/* Floods and fatal errors (guard.c). */
void h2_abuse(struct h2_session *s, enum h2_abuse what);
int h2_rst_received(struct h2_session *s);
int h2_fatal(struct h2_session *s, int ngerr);

#endif
