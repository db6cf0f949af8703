/* The HTTP/1.1 framing facing a server (h1_client.c): http_framing.h's ops
 * for HF_CLIENT, one request at a time on a kept-alive connection.  It is
 * the server side of a translation (an HTTP/2 client, an HTTP/1.1 server;
 * h1_pool.c holds several).  Runs in a worker. */
#ifndef SNARE_WORKER_H1_CLIENT_H
#define SNARE_WORKER_H1_CLIENT_H

#include "worker/http_framing.h"

extern const struct http_framing_ops h1c_framing_ops;

/* The server closed its side: a close-delimited response ends, a response
 * cut short is reset (HF_E_INTERNAL).  Nothing more is read afterwards. */
void h1c_eof(struct http_framing *f);
/* A WebSocket tunnel's client ended its side and every byte is out: the
 * owner shuts the socket's write side (the server sees the FIN). */
bool h1c_write_shut(const struct http_framing *f);
/* Whether the connection carries no request now (none sent, or the last
 * one is over). */
bool h1c_idle(const struct http_framing *f);

#endif
