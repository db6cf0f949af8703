/* Runs in the worker. Trusts nothing from the peer: an HTTP/2 connection's framing over
 * libnghttp2, one session per connection, towards a client (H2_SERVER) or a server (H2_CLIENT).
 *
 * The contract:
 * - No sockets inside. The owner feeds received bytes (h2_feed) and sends what h2_out offers,
 *   marking what it sent (h2_out_done); it closes the connection once h2_done() says so.
 *   Its sockets want TCP_NODELAY: a window's last small frame must not wait for a delayed ACK.
 * - Events come back through struct h2_callbacks, per stream, in wire order: on_head (request or
 *   response head; 1xx heads too), on_data pieces, on_trailers, on_end (the peer ended its side),
 *   on_reset (RST_STREAM, from the peer or sent by us), then on_close once per stream the owner
 *   saw (its last call; h2_free ends open streams without it). on_goaway reports every GOAWAY,
 *   received or sent: a protocol error in the peer's bytes is answered with the right GOAWAY or
 *   RST_STREAM code and the owner learns of it there or in on_reset. A malformed message (an
 *   invalid field, RFC 9113 8.1.1) is reset with PROTOCOL_ERROR and never shown; a header list
 *   above max_header_list gets 431 from a server, a reset from a client. on_abuse reports a
 *   flood (Rapid Reset, CONTINUATION, control frames) once per connection, which is then closed
 *   with GOAWAY ENHANCE_YOUR_CALM. Pointers given to callbacks are valid during the call only.
 * - Flow control follows the consumer: the peer's window opens only when the owner calls
 *   h2_consume for bytes the other side took, so at most stream_window bytes per stream and
 *   conn_window per connection are ever held for a slow reader.
 * - Sending a body: h2_submit_head with end_stream false, then h2_submit_data (takes what fits in
 *   the stream's send_buffer; 0 means full: wait for on_send_space), then h2_submit_end with
 *   optional trailers. The session pulls from that buffer as the peer's window allows.
 * - Callbacks may call the submit functions and h2_consume, never h2_feed, h2_out or h2_free.
 * - Push is refused both ways (SETTINGS_ENABLE_PUSH 0); a PUSH_PROMISE is a connection error.
 * Error codes are RFC 9113's (H2_*); functions return 0 or a negative errno. */
#ifndef SNARE_H2_H2_H
#define SNARE_H2_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* RFC 9113 section 7 error codes. */
enum h2_error {
	H2_NO_ERROR = 0x0,
	H2_PROTOCOL_ERROR = 0x1,
	H2_INTERNAL_ERROR = 0x2,
	H2_FLOW_CONTROL_ERROR = 0x3,
	H2_SETTINGS_TIMEOUT = 0x4,
	H2_STREAM_CLOSED = 0x5,
	H2_FRAME_SIZE_ERROR = 0x6,
	H2_REFUSED_STREAM = 0x7,
	H2_CANCEL = 0x8,
	H2_COMPRESSION_ERROR = 0x9,
	H2_CONNECT_ERROR = 0xa,
	H2_ENHANCE_YOUR_CALM = 0xb,
	H2_INADEQUATE_SECURITY = 0xc,
	H2_HTTP_1_1_REQUIRED = 0xd,
};

enum h2_role { H2_SERVER, H2_CLIENT };

enum h2_abuse {
	H2_ABUSE_RAPID_RESET,  /* the client reset streams faster than rst_burst/rst_rate */
	H2_ABUSE_CONTINUATION, /* too many CONTINUATION frames for one header block */
	H2_ABUSE_FLOOD,	       /* control frames (PING, SETTINGS) queued faster than read */
};

/* One header field. In messages the module hands out, name and value are NUL-terminated. */
struct h2_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* A message head as seen on the wire: pseudo-headers apart, fields in order without them.
 * Requests set method (and scheme, authority, path as present); responses set status.
 * protocol is an extended CONNECT's :protocol (RFC 8441), NULL otherwise. */
struct h2_head {
	const char *method;
	const char *scheme;
	const char *authority;
	const char *path;
	const char *protocol;
	int status;
	const struct h2_field *fields;
	size_t nfields;
};

struct h2_options {
	uint32_t max_streams;	  /* SETTINGS_MAX_CONCURRENT_STREAMS; default 100 */
	uint32_t max_header_list; /* SETTINGS_MAX_HEADER_LIST_SIZE, enforced; default 65536 */
	uint32_t header_table;	  /* SETTINGS_HEADER_TABLE_SIZE (decoder, and encoder cap); 4096 */
	uint32_t stream_window;	  /* SETTINGS_INITIAL_WINDOW_SIZE; default 65535 */
	uint32_t conn_window;	  /* the connection's receive window; default 1 MiB */
	uint32_t send_buffer;	  /* body bytes queued per stream by h2_submit_data; 64 KiB */
	uint32_t rst_burst;	  /* RST_STREAMs a client may send at once; default 200 */
	uint32_t rst_rate;	  /* ... and per second after that; default 100 */
	uint32_t max_continuations;   /* CONTINUATION frames per header block; default 8 */
	uint32_t peer_streams_before; /* client: streams opened before the server's SETTINGS; 100 */
	bool connect_protocol; /* server: may offer extended CONNECT (RFC 8441) later; false */
	/* Server: the owner already wrote the frame h2_settings_frame gives for these options (a
	 * prior-knowledge client answered before the session started, RFC 9113 3.4); the
	 * session's own first SETTINGS is that frame and h2_out leaves it out. Default false. */
	bool settings_sent;
};

struct h2_callbacks {
	void (*on_head)(void *owner, int32_t sid, const struct h2_head *head, bool end_stream);
	void (*on_data)(void *owner, int32_t sid, const uint8_t *p, size_t n);
	void (*on_trailers)(void *owner, int32_t sid, const struct h2_field *f, size_t n);
	void (*on_end)(void *owner, int32_t sid);
	void (*on_reset)(void *owner, int32_t sid, uint32_t code, bool by_peer);
	void (*on_close)(void *owner, int32_t sid, uint32_t code);
	void (*on_goaway)(void *owner, uint32_t code, int32_t last_sid, bool by_peer);
	void (*on_send_space)(void *owner, int32_t sid);
	void (*on_abuse)(void *owner, enum h2_abuse what);
};

struct h2_session;

void h2_options_default(struct h2_options *o);
/* The SETTINGS frame a session with options o sends first, in buf (cap >= H2_SETTINGS_MAX).
 * Returns its length, or -ENOBUFS. */
#define H2_SETTINGS_MAX 64
ssize_t h2_settings_frame(const struct h2_options *o, uint8_t *buf, size_t cap);
/* o may be NULL (defaults). The callbacks struct is copied; owner is passed back to each. */
struct h2_session *h2_new(enum h2_role role, const struct h2_options *o,
			  const struct h2_callbacks *cb, void *owner);
void h2_free(struct h2_session *s);

/* Bytes received from the peer. 0, or -EPROTO when the connection is finished (a fatal error
 * or a flood): send what h2_out still offers (the GOAWAY), then close. */
int h2_feed(struct h2_session *s, const uint8_t *p, size_t n);
/* The next bytes to send (*n 0: nothing now). Valid until h2_out_done or the next h2_feed. */
int h2_out(struct h2_session *s, const uint8_t **p, size_t *n);
void h2_out_done(struct h2_session *s, size_t n);
/* Nothing more will be read or written: close the connection. */
bool h2_done(const struct h2_session *s);

/* No stream open, nothing to send, not finished: the connection is idle. */
bool h2_idle(const struct h2_session *s);
/* For an idle connection (h2_idle), from an idle timer: gives back the memory of libnghttp2's
 * 16 KiB outbound frame buffer (mem.c says why and how); it comes back with the next frame.
 * Returns the bytes given back (0: not idle, or nothing to give). */
size_t h2_trim(struct h2_session *s);

/* Server: the response head on stream sid. Client: sid 0, a new request; returns its id (>0). */
int32_t h2_submit_head(struct h2_session *s, int32_t sid, const struct h2_head *h, bool end_stream);
/* Queues body bytes; returns how many were taken (0: buffer full, on_send_space follows). */
ssize_t h2_submit_data(struct h2_session *s, int32_t sid, const uint8_t *p, size_t n);
/* Ends the body once the queued bytes are sent, with trailers when n > 0. */
int h2_submit_end(struct h2_session *s, int32_t sid, const struct h2_field *trailers, size_t n);
int h2_submit_reset(struct h2_session *s, int32_t sid, uint32_t code);
/* Resets the stream with code once the body bytes queued before are sent (a response cut short
 * after what was received of it); at once when it has no body to send. */
int h2_submit_reset_after(struct h2_session *s, int32_t sid, uint32_t code);
/* GOAWAY with the last stream processed; NO_ERROR lets open streams finish. */
int h2_submit_goaway(struct h2_session *s, uint32_t code);
/* The other side took n bytes of sid's data: open the peer's windows by that much. */
int h2_consume(struct h2_session *s, int32_t sid, size_t n);

void h2_stream_set_data(struct h2_session *s, int32_t sid, void *data);
void *h2_stream_get_data(struct h2_session *s, int32_t sid);
/* Client: how many more requests the server takes now (its SETTINGS_MAX_CONCURRENT_STREAMS less
 * the open ones; 0 after a GOAWAY or an error), for connection reuse. Server: 0. */
uint32_t h2_streams_free(const struct h2_session *s);
/* A SETTINGS value the peer sent (id as in RFC 9113 6.5.2 and RFC 8441 3), for tests, flow
 * records and whether a server takes extended CONNECT (H2_SETTINGS_ENABLE_CONNECT_PROTOCOL). */
#define H2_SETTINGS_ENABLE_CONNECT_PROTOCOL 0x8
/* The peer's first SETTINGS frame came (before it, h2_peer_setting gives the defaults). */
bool h2_peer_settings_seen(const struct h2_session *s);
/* Server with connect_protocol: sends SETTINGS_ENABLE_CONNECT_PROTOCOL 1 now (RFC 8441), once. */
int h2_offer_connect_protocol(struct h2_session *s);
uint32_t h2_peer_setting(const struct h2_session *s, int id);
const char *h2_error_name(uint32_t code);
const char *h2_abuse_name(enum h2_abuse what);

/* The cleartext client preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") at the start of p. */
enum h2_preface { H2_PREFACE_NO, H2_PREFACE_YES, H2_PREFACE_MORE };
enum h2_preface h2_preface_check(const uint8_t *p, size_t n);

/* An owned head for building and mapping messages. */
struct h2_msg {
	char *method, *scheme, *authority, *path, *protocol;
	int status;
	struct h2_field *fields; /* each name and value one allocation, owned by the msg */
	size_t nfields, cap;
};
void h2_msg_init(struct h2_msg *m);
void h2_msg_free(struct h2_msg *m);
int h2_msg_add(struct h2_msg *m, const char *name, size_t nlen, const char *value, size_t vlen);
struct h2_head h2_msg_head(const struct h2_msg *m);

/* HTTP/1 <-> HTTP/2 header forms (RFC 9113 8.2.2, 8.3). To h2: names lower-cased, order kept,
 * connection-specific fields dropped (Connection and what it names, Keep-Alive,
 * Proxy-Connection, Transfer-Encoding, Upgrade (h2c included), HTTP2-Settings), TE kept only as
 * "trailers", Host moved to :authority. To h1: Host from :authority first, cookie crumbs joined
 * with "; " where the first was. -EINVAL when a request lacks what its form needs. */
int h2_map_request_from_h1(struct h2_msg *out, const char *method, const char *target,
			   const char *scheme, const struct h2_field *f, size_t n);
int h2_map_response_from_h1(struct h2_msg *out, int status, const struct h2_field *f, size_t n);
/* out->method and out->path get the request line's method and target. */
int h2_map_request_to_h1(struct h2_msg *out, const struct h2_head *in);
int h2_map_response_to_h1(struct h2_msg *out, const struct h2_head *in);
/* An HTTP/1 request that stays HTTP/1: "h2c" removed from Upgrade (the field dropped when
 * nothing is left), HTTP2-Settings dropped, and their tokens from Connection. Case kept. */
int h2_strip_h2c_upgrade(struct h2_msg *out, const struct h2_field *f, size_t n);
/* Trailers or any field list to h2 form (the same filtering as heads). */
int h2_map_fields_from_h1(struct h2_msg *out, const struct h2_field *f, size_t n);

/* RFC 8441 section 5: WebSocket between an extended CONNECT and an HTTP/1.1 Upgrade (map_ws.c).
 * h2_ws_connect: the head is an extended CONNECT for a WebSocket (:protocol compared without
 * case). To h1: GET with :path as the target, Host from :authority, the fields as
 * h2_map_request_to_h1 maps them (the Upgrade fields and key are the caller's); -EINVAL unless
 * a WebSocket CONNECT with :path and :authority. h2_ws_accept_ok: the 101's fields hold
 * Upgrade: websocket and Sec-WebSocket-Accept equal to accept (0, else -EPROTO). From h1: the
 * 101's fields as a 200 in h2 form, without Sec-WebSocket-Accept and the connection's fields. */
bool h2_ws_connect(const char *method, const char *protocol);
int h2_ws_request_to_h1(struct h2_msg *out, const struct h2_head *in);
int h2_ws_accept_ok(const struct h2_field *f, size_t n, const char *accept);
int h2_ws_response_from_h1(struct h2_msg *out, const struct h2_field *f, size_t n);
#endif
