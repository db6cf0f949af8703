/* Internal to the output module: the text helpers shared by the dumpers
 * (escaping of untrusted bytes, addresses, headers, bodies).  Runs in the
 * coordinator; every byte printed comes from a flow and is untrusted. */
#ifndef SNARE_OUTPUT_DUMP_INT_H
#define SNARE_OUTPUT_DUMP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"
#include "output/dump.h"

#define DUMP_BODY_CUTOFF 512 /* lines of a body shown at flow_detail 3 */
#define DUMP_ADDRLEN 1040    /* a formatted address: host (<= 255 bytes, escaped) and port */

/* "1.2.3.4:80", "[::1]:80", "*:80", "example.com:80" or "<no address>"; a name's
 * control bytes and invalid UTF-8 are escaped as \xNN. */
void dump_addr(const Snare__Address *a, char *out, size_t len);
/* The client's address (its peer) and the server's (asked for, else peer). */
void dump_client(const Snare__Flow *f, char *out, size_t len);
void dump_server(const Snare__Flow *f, char *out, size_t len);

/* Writes untrusted bytes on one line: control characters, DEL, C1 controls
 * and invalid UTF-8 become \xNN (core/escape.h, as everywhere output is
 * written for people). */
void dump_text(FILE *out, const char *s);
/* Length in bytes of a valid UTF-8 sequence at p, or 0. */
size_t dump_utf8_len(const uint8_t *p, size_t n);

/* "    name: value" lines (bytes escaped as \xNN), and trailers. */
void dump_headers(FILE *out, Snare__Header *const *h, size_t n);
void dump_trailers(FILE *out, Snare__Header *const *h, size_t n);
/* A message body at flow_detail >= 3: text as lines, binary as a hex dump,
 * cut at DUMP_BODY_CUTOFF lines at detail 3. */
void dump_body(FILE *out, const uint8_t *p, size_t n, bool present, int detail);

/* The request's URL (malloc'd): request.url, or mitmproxy's pretty_url (the
 * Host header's name) with showhost; "host:port" for CONNECT. */
char *dump_request_url(const Snare__HttpRequest *r, bool showhost);

void dump_http(FILE *out, const Snare__Flow *f, const struct dump_opts *o);
void dump_stream(FILE *out, const Snare__Flow *f, const struct dump_opts *o);
void dump_websocket(FILE *out, const Snare__Flow *f, const struct dump_opts *o);
void dump_dns(FILE *out, const Snare__Flow *f, const struct dump_opts *o);

#endif
