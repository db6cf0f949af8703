/* Runs in the worker (DNS mode and DNS flows seen in other modes). Trusts nothing: messages come
 * from clients and name servers. RFC 1035 wire format: a strict parser that decodes the common
 * record types for display and carries the rest opaquely, and a builder with name compression
 * for the responses snare writes itself (local answers, FORMERR/SERVFAIL). */
#ifndef SNARE_DNS_H
#define SNARE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/util.h"

#define DNS_MAX_MSG 65535
#define DNS_MAX_RR 256 /* records per section */
#define DNS_HEADER_LEN 12
#define DNS_UDP_MIN 512	       /* UDP payload every client accepts */
#define DNS_NAME_WIRE_MAX 255  /* RFC 1035 2.3.4, length bytes and root included */
#define DNS_NAME_TEXT_MAX 1024 /* presentation form of any wire name, with its NUL */
#define DNS_DISPLAY_MAX 2048   /* longer displays are cut and end in "..." */
#define DNS_MAX_HOPS 127       /* compression pointers followed per name */
#define DNS_STEPS_PER_BYTE 32  /* labels read + pointers followed per message byte */

/* Header flag bits (the second 16-bit word). */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010
#define DNS_F_OPCODE(f) (((f) >> 11) & 0x0f)
#define DNS_F_RCODE(f) ((f)&0x0f)

enum {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_SVCB = 64,
	DNS_T_HTTPS = 65,
	DNS_T_ANY = 255,
};
enum { DNS_C_IN = 1 };
enum {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16, /* extended: needs EDNS */
};
enum dns_section { DNS_QD, DNS_AN, DNS_NS, DNS_AR };

/* One question or resource record. Names are in presentation form: labels joined by '.', no
 * trailing dot except the root ".", case kept; '.', '\\', '"', '(', ')', ';', '@', '$' escaped as
 * "\c" and bytes outside 0x21-0x7e as "\DDD". Questions fill only name, type and class. */
struct dns_rr {
	char name[DNS_NAME_TEXT_MAX];
	uint16_t type, class; /* for OPT: class is the UDP payload size */
	uint32_t ttl;	      /* for OPT: extended rcode, version and flags */
	const uint8_t *rdata; /* points into the parsed message (compression pointers left in) */
	uint16_t rdlen;
	/* "93.184.216.34", "2001:db8::1", "mail.example.com" (NS, CNAME, PTR), "10 mx.example.com",
	 * "\"text\" \"more\"", "0 5 443 host" (SRV), "mname rname serial refresh retry expire
	 * minimum" (SOA), "1 . alpn=h2,h3 port=443 ipv4hint=... ech=<base64> key9=<hex>" (SVCB,
	 * HTTPS), "udp=1232 version=0 flags=do option10=<hex>" (OPT), "\# 3 0a0b0c" otherwise. */
	char display[DNS_DISPLAY_MAX];
};

/* A parsed message. The sections are owned (dns_msg_free); rdata and raw point into the bytes
 * given to dns_parse, which must outlive the message. */
struct dns_msg {
	const uint8_t *raw;
	size_t rawlen;
	uint16_t id, flags;
	bool qr, aa, tc, rd, ra, ad, cd;
	uint8_t opcode;
	uint8_t rcode;	    /* the 4-bit header rcode */
	uint16_t rcode_ext; /* 12 bits: with the OPT record's upper 8 bits */
	struct dns_rr *qd, *an, *ns, *ar;
	uint16_t nqd, nan, nns, nar;
	/* EDNS0 (RFC 6891): the OPT record stays in ar too. */
	bool has_edns;
	bool edns_do;
	uint8_t edns_version;
	uint16_t edns_udp_size;
	uint16_t edns_flags; /* DO and Z bits */
	const uint8_t *edns_opts;
	uint16_t edns_optlen;
	/* Decompression work the parse took: labels read plus pointers followed, in every name of
	 * every section and rdata; never more than DNS_STEPS_PER_BYTE * rawlen. */
	size_t name_steps;
};

/* Parses a whole message (n bytes, no TCP length prefix). Returns 0; -E2BIG when n exceeds
 * DNS_MAX_MSG or a section count exceeds DNS_MAX_RR; -EBADMSG when malformed: shorter than a
 * header, a length past the end, a label length 0x40-0xbf, a compression pointer that does not
 * point strictly backwards (so no loops) or into the header, a name that follows more than
 * DNS_MAX_HOPS pointers, names that together take more than DNS_STEPS_PER_BYTE decompression
 * steps per message byte (so parsing is linear in n), a name over 255 bytes, a known type
 * whose rdata has the wrong shape, SVCB keys out of order, an OPT record outside the additional
 * section, twice or not at the root, or bytes after the last record. On error out is empty but
 * for name_steps. */
int dns_parse(const uint8_t *p, size_t n, struct dns_msg *out) SNARE_MUST_CHECK;
void dns_msg_free(struct dns_msg *m);

/* Reads only the id and flags, for answering a message that does not parse. 0 or -EBADMSG. */
int dns_header_peek(const uint8_t *p, size_t n, uint16_t *id, uint16_t *flags) SNARE_MUST_CHECK;

/* Builder. Records must be added in section order; the header counts follow automatically.
 * Names are compressed against every name written before (exact bytes, so case is kept). A
 * failed add leaves the message as it was before the call. */
#define DNS_BUILD_MAX_PTRS 128
struct dns_builder {
	uint8_t *buf; /* owned; cap bytes */
	size_t len, cap;
	enum dns_section section;
	uint16_t count[4];
	uint16_t ptrs[DNS_BUILD_MAX_PTRS]; /* offsets of names (and their suffixes) written */
	size_t nptrs;
};

/* cap: the largest message allowed (clamped to 12..DNS_MAX_MSG): 512 or the client's EDNS size
 * for UDP, DNS_MAX_MSG for TCP. */
void dns_builder_init(struct dns_builder *b, size_t cap);
void dns_builder_free(struct dns_builder *b);
/* Starts (or restarts) the message; every count is 0. 0 or -EMSGSIZE. */
int dns_build_header(struct dns_builder *b, uint16_t id, uint16_t flags) SNARE_MUST_CHECK;
/* Sets flag bits in the header already written. */
void dns_build_set_flags(struct dns_builder *b, uint16_t flags);
/* name is in presentation form (a trailing dot is optional). Errors: -EINVAL for a bad name, a
 * section before the current one or a full section; -EMSGSIZE when the message would exceed cap. */
int dns_build_question(struct dns_builder *b, const char *name, uint16_t type,
		       uint16_t class) SNARE_MUST_CHECK;
/* rdata is copied as is. */
int dns_build_rr(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		 uint16_t class, uint32_t ttl, const uint8_t *rdata,
		 uint16_t rdlen) SNARE_MUST_CHECK;
/* Rdata is prefix (MX: the 2-byte preference; SRV: priority, weight, port) then target,
 * compressed for NS, CNAME, PTR and MX only (RFC 3597 section 4). */
int dns_build_rr_name(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		      uint16_t class, uint32_t ttl, const uint8_t *prefix, size_t prefixlen,
		      const char *target) SNARE_MUST_CHECK;
/* Copies a record of a parsed message m: names inside the rdata of NS, CNAME, PTR, MX, SOA and
 * SRV are expanded from m and written again (compressed for all but SRV). Works for OPT too. */
int dns_build_rr_copy(struct dns_builder *b, enum dns_section s, const struct dns_msg *m,
		      const struct dns_rr *rr) SNARE_MUST_CHECK;
/* An EDNS0 OPT record (version 0) in the additional section; options are copied as is. */
int dns_build_opt(struct dns_builder *b, uint16_t udp_size, uint8_t ext_rcode, bool dnssec_ok,
		  const uint8_t *options, uint16_t optlen) SNARE_MUST_CHECK;

/* The largest UDP response a query allows: 512, or its EDNS size clamped to 512..4096. */
size_t dns_udp_limit(const struct dns_msg *query);

/* The DNS mode's local answer to a parsed query, into out (initialised, its cap set): id, opcode,
 * RD and CD copied, QR and RA set, the questions echoed, rcode given (0-15), one A record per
 * AF_INET address and one AAAA per AF_INET6 address (only the family that matches the first
 * question's type when it is A or AAAA) owned by the first question's name with the given TTL,
 * and an OPT record (DO copied) when the query had one. A query with EDNS version > 0 gets
 * BADVERS and no answers. When the answers do not fit in cap, TC is set and they are left out.
 * 0, -EINVAL (rcode out of range) or -EMSGSIZE (not even the question fits). */
int dns_build_answer(const struct dns_msg *query, int rcode, const struct sockaddr_storage *addrs,
		     size_t naddrs, uint32_t ttl, struct dns_builder *out) SNARE_MUST_CHECK;
/* A FORMERR/SERVFAIL/... answer built from raw query bytes that may not parse: id, opcode and RD
 * copied, QR and RA set, the first question echoed when it can be read, and an OPT record when
 * the whole query parses and has one. 0, -EBADMSG (no header) or -EMSGSIZE. */
int dns_build_error(const uint8_t *query, size_t qlen, int rcode,
		    struct dns_builder *out) SNARE_MUST_CHECK;

/* A reply for a UDP client whose query allows limit bytes (dns_udp_limit; DNS_UDP_MIN for a query
 * that does not parse). A longer resp is cut into out (initialised; its cap is lowered to limit)
 * as a resolver cuts it: the header with TC set (id, the other flags and the rcode kept), the
 * questions and the OPT record as far as they fit, and no other record, so the client asks again
 * over TCP. 1 when out holds the cut reply, 0 when resp fits as it is (out untouched), -EBADMSG
 * when resp has no header, -EINVAL when a question cannot be written again. */
int dns_fit_udp(const uint8_t *resp, size_t len, size_t limit,
		struct dns_builder *out) SNARE_MUST_CHECK;

/* What dns_https_strip removes from HTTPS records: the ech parameter; the h3 ALPN ids ("h3" and
 * "h3-*"; an alpn left empty goes, and dropped keys leave the mandatory list). */
#define DNS_STRIP_ECH 1u
#define DNS_STRIP_H3 2u
/* Rebuilds a parsed message into out (initialised, its cap set) with its HTTPS records rewritten.
 * Returns 1 when out holds the rewritten message, 0 when nothing needed stripping (out untouched),
 * -EMSGSIZE or -ENOMEM. */
int dns_https_strip(const struct dns_msg *m, unsigned what,
		    struct dns_builder *out) SNARE_MUST_CHECK;

/* Presentation-form names compare case-insensitively (ASCII only, RFC 4343); a trailing dot and
 * escapes are taken into account. Returns false when either name is not valid. */
bool dns_name_equal(const char *a, const char *b);

/* Mnemonics: "A", "HTTPS", ... else "TYPE65280"; "NOERROR", ... else "RCODE(n)"; "IN", "CH",
 * "HS", "NONE", "ANY" else "CLASSn". They return buf (or a constant string). */
const char *dns_type_name(uint16_t t, char *buf, size_t len);
const char *dns_rcode_name(int rc, char *buf, size_t len);
const char *dns_class_name(uint16_t c, char *buf, size_t len);

#endif
