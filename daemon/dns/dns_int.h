/* Runs in the worker. Internal to the dns module: wire-form names, the bounded text writer that
 * display strings go through, and the table of rdata layouts that hold names (shared by the
 * parser, the displays and dns_build_rr_copy). Trusts nothing in message bytes. */
#ifndef SNARE_DNS_INT_H
#define SNARE_DNS_INT_H

#include <stdarg.h>

#include "dns/dns.h"

/* An uncompressed wire-form name: length-prefixed labels ending in the 0 byte. */
struct dns_wname {
	uint8_t b[DNS_NAME_WIRE_MAX];
	size_t len;
};

/* The decompression work a message may cost: every label read and every pointer followed is one
 * step. A parse gets DNS_STEPS_PER_BYTE steps per message byte (a real message needs at most
 * about 20: two 127-label names expanded from a 14-byte record), so parsing is linear in the
 * message's length whatever its pointers do. */
struct dns_budget {
	size_t left;
	size_t used;
};
void dns_budget_init(struct dns_budget *b, size_t msglen);

/* Reads the name at *off of msg, whose bytes [0, limit) may be read. Pointers are followed only
 * when allow_ptr, at most DNS_MAX_HOPS per name; each must point strictly before itself, past
 * the header, and the name it points to must end before the pointer. Steps are taken from
 * budget (NULL: the per-name bounds alone). *off moves past the name as it sits at *off.
 * 0 or -EBADMSG (also when the budget runs out). */
int dns_name_read(const uint8_t *msg, size_t limit, size_t *off, bool allow_ptr,
		  struct dns_budget *budget, struct dns_wname *out);
/* Presentation form (see struct dns_rr); out has DNS_NAME_TEXT_MAX bytes at least. */
void dns_name_to_text(const struct dns_wname *w, char *out, size_t outlen);
/* 0 or -EINVAL (bad escape, empty label, label over 63, name over 255). */
int dns_name_from_text(const char *s, struct dns_wname *out);

/* A display string: writes stop before cap - 4, and a cut string ends in "...". */
struct dns_text {
	char *p;
	size_t len, cap;
	bool cut;
};
void dns_text_init(struct dns_text *t, char *p, size_t cap);
void dns_text_putc(struct dns_text *t, char c);
void dns_text_puts(struct dns_text *t, const char *s);
void dns_text_printf(struct dns_text *t, const char *fmt, ...) SNARE_PRINTF(2, 3);
void dns_text_hex(struct dns_text *t, const uint8_t *p, size_t n);
void dns_text_base64(struct dns_text *t, const uint8_t *p, size_t n);
/* Adds "..." when cut. */
void dns_text_finish(struct dns_text *t);

/* Types whose rdata is fixed bytes, names, fixed bytes (RFC 1035 3.3 and RFC 2782). */
struct dns_rdata_shape {
	uint16_t type;
	uint8_t prefix; /* fixed bytes before the names */
	uint8_t nnames;
	uint8_t suffix; /* fixed bytes after them */
	bool compress;	/* may be compressed (RFC 3597 section 4) */
};
const struct dns_rdata_shape *dns_rdata_shape(uint16_t type);

/* Checks rr's rdata (at offset rdoff of msg) and fills rr->display; names in it take their
 * steps from budget. 0 or -EBADMSG. */
int dns_rdata_display(const uint8_t *msg, size_t rdoff, struct dns_rr *rr,
		      struct dns_budget *budget);
int dns_svcb_display(const uint8_t *rd, size_t n, struct dns_text *t);

/* The first question of a message that may not parse as a whole: false when there is none or
 * it cannot be read. Fills name, type and class of q. */
bool dns_first_question(const uint8_t *p, size_t n, struct dns_rr *q);

#endif
