/* The HTTP/2 framing of the HTTP engine: http_framing.h's ops over the h2
 * module (daemon/h2/).  Runs in a worker; trusts nothing the peer sends
 * (libnghttp2 and daemon/h2/ check the frames, this file the head's size). */
#ifndef SNARE_WORKER_H2_FRAMING_H
#define SNARE_WORKER_H2_FRAMING_H

#include <sys/types.h>

#include "worker/http_framing.h"

extern const struct http_framing_ops h2_framing_ops;

/* An HTTP/2 framing's events go to ev and eng from now on (a server
 * connection moving into or out of the h2 pool, h2_pool.h). */
void h2_framing_rebind(struct http_framing *f, const struct hf_events *ev, void *eng);
/* No stream open, nothing to send, no error: the connection is idle. */
bool h2_framing_idle(const struct http_framing *f);
/* From an idle timer: gives back the memory an idle session does not need
 * (h2_trim); the bytes given back. */
size_t h2_framing_trim(struct http_framing *f);

/* HF_CLIENT: 1 when the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL 1 (it
 * takes extended CONNECT, RFC 8441 3), 0 when not, -EAGAIN while its
 * SETTINGS have not come yet. */
int h2_framing_peer_connect(const struct http_framing *f);
/* HF_SERVER opened with connect_protocol: offers the client extended CONNECT
 * now, once (h2_offer_connect_protocol).  0, or an error. */
int h2_framing_offer_connect(struct http_framing *f);

struct h2_msg;
/* An owned copy of a head (m is initialised here; free it with
 * h2_msg_free even on failure).  0 or -ENOMEM. */
int h2_framing_msg_copy(struct h2_msg *m, const struct hf_head *h);

/* The SETTINGS frame an HF_SERVER side opened with lim sends first (the
 * server preface), for a layer that answers a client's preface before the
 * side opens; it then opens with lim->settings_sent.  Length or -ENOBUFS. */
ssize_t h2_framing_settings(const struct hf_limits *lim, uint8_t *buf, size_t cap);

/* Whether a plain server's first n bytes are a SETTINGS frame, the server
 * preface (RFC 9113 3.4): the answer of an h2c server to prior knowledge. */
bool h2_framing_server_preface(const uint8_t *b, size_t n);

#endif
