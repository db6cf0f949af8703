/* Runs in the worker. Trusts nothing: reads a client's first UDP datagrams as QUIC long-header
 * packets (coalesced ones too), removes the protection of v1/v2 Initial packets with the keys
 * derived from the Destination Connection ID, walks their frames (PADDING, PING, ACK, CRYPTO;
 * anything else is an error in a client's first flight) and hands the reassembled ClientHello to
 * tlsparse. Packets of other types (0-RTT, Handshake) are skipped by their length. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "quic/initial_int.h"

#define LONG_HEADER 0x80
#define FIXED_BIT 0x40
#define TLS_RECORD_MAX_CHUNK 16384

struct quic_initial {
	enum quic_initial_result result;
	const char *error;
	bool keyed; /* the first Initial was read: version, dcid and keys are set */
	struct quic_initial_keys keys;
	struct quic_initial_info info;
	uint64_t largest_pn;
	bool any_pn;
	unsigned datagrams;
	struct quic_crypto_buf crypto;
};

/* A long header's fields up to the payload (RFC 9000 section 17.2). */
struct long_hdr {
	uint32_t version;
	unsigned type; /* v1 numbering: 0 Initial, 1 0-RTT, 2 Handshake, 3 Retry */
	const uint8_t *dcid, *scid;
	size_t dcid_len, scid_len;
	size_t pn_off; /* offset of the packet number */
	size_t end;    /* offset just past this packet */
};

struct quic_initial *quic_initial_new(void)
{
	return xcalloc(1, sizeof(struct quic_initial));
}

void quic_initial_free(struct quic_initial *qi)
{
	if (!qi)
		return;
	quic_crypto_free(&qi->crypto);
	free(qi);
}

const struct quic_initial_info *quic_initial_info(const struct quic_initial *qi)
{
	return &qi->info;
}

const char *quic_initial_error(const struct quic_initial *qi)
{
	return qi->error ? qi->error : "";
}

const char *quic_initial_result_name(enum quic_initial_result r)
{
	static const char *const names[] = {"need-more", "done", "not-quic", "unknown-version",
					    "error"};

	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "?";
}

static enum quic_initial_result fail(struct quic_initial *qi, const char *why)
{
	qi->error = why;
	return qi->result = QUIC_INITIAL_ERROR;
}

/* RFC 9369 section 3.2: v2 rotates the long-header type bits. */
static unsigned v1_type(uint32_t version, unsigned bits)
{
	return version == QUIC_VERSION_2 ? (bits + 3) % 4 : bits;
}

/* Parses the invariant header and, for v1/v2, the type-specific fields. 0; -EPROTONOSUPPORT for
 * another version (the invariant part is valid); -EINVAL malformed. */
static int parse_long(const uint8_t *p, size_t n, struct long_hdr *h)
{
	size_t off = 5;
	uint64_t v = 0;
	size_t k;

	if (n < 7)
		return -EINVAL;
	h->version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	h->dcid_len = p[off++];
	if (h->dcid_len > n - off - 1)
		return -EINVAL;
	h->dcid = p + off;
	off += h->dcid_len;
	h->scid_len = p[off++];
	if (h->scid_len > n - off)
		return -EINVAL;
	h->scid = p + off;
	off += h->scid_len;
	if (h->version != QUIC_VERSION_1 && h->version != QUIC_VERSION_2)
		return -EPROTONOSUPPORT;
	if (!(p[0] & FIXED_BIT) || h->dcid_len > QUIC_MAX_CID || h->scid_len > QUIC_MAX_CID)
		return -EINVAL;
	h->type = v1_type(h->version, (p[0] >> 4) & 3);
	if (h->type == 3) /* Retry: only a server sends it, and it has no length */
		return -EINVAL;
	if (h->type == 0) { /* token */
		if (!(k = quic_varint(p + off, n - off, &v)) || v > n - off - k)
			return -EINVAL;
		off += k + (size_t)v;
	}
	if (!(k = quic_varint(p + off, n - off, &v)) || v > n - off - k)
		return -EINVAL;
	h->pn_off = off + k;
	h->end = h->pn_off + (size_t)v;
	return 0;
}

/* RFC 9000 appendix A.3. */
static uint64_t decode_pn(uint64_t expected, uint64_t truncated, unsigned bits)
{
	uint64_t win = (uint64_t)1 << bits, hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < ((uint64_t)1 << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Skips an ACK frame's body (type 0x02 or 0x03 already read). Bytes used or 0. */
static size_t skip_ack(const uint8_t *p, size_t n, bool ecn)
{
	uint64_t v, ranges = 0;
	size_t off = 0, k;

	for (int i = 0; i < 4; i++) { /* largest, delay, range count, first range */
		if (!(k = quic_varint(p + off, n - off, &v)))
			return 0;
		off += k;
		if (i == 2)
			ranges = v;
	}
	for (uint64_t i = 0; i < 2 * ranges + (ecn ? 3 : 0); i++) {
		if (!(k = quic_varint(p + off, n - off, &v)))
			return 0;
		off += k;
	}
	return off;
}

/* Walks a decrypted Initial payload. NULL, or why it is unacceptable. */
static const char *read_frames(struct quic_initial *qi, const uint8_t *p, size_t n)
{
	size_t off = 0, k;
	uint64_t type, coff, len;

	if (n == 0)
		return "Initial packet without frames";
	while (off < n) {
		if (!(k = quic_varint(p + off, n - off, &type)))
			return "truncated frame type";
		off += k;
		if (type == 0x00 || type == 0x01) /* PADDING, PING */
			continue;
		if (type == 0x02 || type == 0x03) {
			if (!(k = skip_ack(p + off, n - off, type == 0x03)))
				return "truncated ACK frame";
			off += k;
			continue;
		}
		if (type != 0x06)
			return "frame type not allowed in a client Initial";
		if (!(k = quic_varint(p + off, n - off, &coff)))
			return "truncated CRYPTO frame";
		off += k;
		if (!(k = quic_varint(p + off, n - off, &len)) || len > n - off - k)
			return "CRYPTO frame longer than its packet";
		off += k;
		if (quic_crypto_add(&qi->crypto, coff, p + off, (size_t)len) < 0)
			return "CRYPTO data beyond the ClientHello limit";
		off += (size_t)len;
	}
	return NULL;
}

/* Removes protection from the Initial at p[0..h->end) (modified in place) and reads its frames.
 * NULL or why not. */
static const char *open_initial(struct quic_initial *qi, uint8_t *p, const struct long_hdr *h)
{
	uint8_t mask[5];
	size_t pn_len, hdr_len;
	uint64_t truncated = 0, pn;

	if (h->end < h->pn_off + 4 + 16)
		return "Initial packet too short for a header-protection sample";
	if (quic_initial_hp_mask(&qi->keys, p + h->pn_off + 4, mask) < 0)
		return "header-protection mask failed";
	p[0] ^= mask[0] & 0x0f;
	pn_len = (p[0] & 3) + 1;
	for (size_t i = 0; i < pn_len; i++) {
		p[h->pn_off + i] ^= mask[1 + i];
		truncated = truncated << 8 | p[h->pn_off + i];
	}
	hdr_len = h->pn_off + pn_len;
	if (h->end - hdr_len < 16)
		return "Initial payload length out of range";
	pn = decode_pn(qi->any_pn ? qi->largest_pn + 1 : 0, truncated, (unsigned)(8 * pn_len));
	if (quic_initial_open(&qi->keys, pn, p, hdr_len, p + hdr_len, h->end - hdr_len,
			      p + hdr_len) < 0) /* in place: p is the datagram's copy */
		return "Initial packet does not decrypt";
	if (!qi->any_pn || pn > qi->largest_pn)
		qi->largest_pn = pn;
	qi->any_pn = true;
	return read_frames(qi, p + hdr_len, h->end - hdr_len - 16);
}

/* Fixes version, connection IDs and keys at the first Initial; later ones must match. */
static const char *key_for(struct quic_initial *qi, const struct long_hdr *h)
{
	struct quic_initial_info *in = &qi->info;

	if (qi->keyed) {
		if (h->version != in->version || h->dcid_len != in->dcid_len ||
		    memcmp(h->dcid, in->dcid, h->dcid_len) != 0)
			return "Initial for another connection";
		return NULL;
	}
	in->version = h->version;
	in->dcid_len = h->dcid_len;
	in->scid_len = h->scid_len;
	memcpy(in->dcid, h->dcid, h->dcid_len);
	memcpy(in->scid, h->scid, h->scid_len);
	if (quic_initial_derive(h->version, h->dcid, h->dcid_len, &qi->keys) < 0)
		return "Initial key derivation failed";
	qi->keyed = true;
	return NULL;
}

/* Wraps the handshake message in TLS records for tlsparse's public parser. */
static enum quic_initial_result parse_hello(struct quic_initial *qi, size_t total)
{
	size_t nrec = (total + TLS_RECORD_MAX_CHUNK - 1) / TLS_RECORD_MAX_CHUNK;
	uint8_t *rec = xmalloc(total + 5 * nrec), *w = rec;
	int r;

	for (size_t off = 0; off < total; off += TLS_RECORD_MAX_CHUNK) {
		size_t len =
		    total - off < TLS_RECORD_MAX_CHUNK ? total - off : TLS_RECORD_MAX_CHUNK;

		*w++ = 22;
		*w++ = 3;
		*w++ = 1;
		*w++ = (uint8_t)(len >> 8);
		*w++ = (uint8_t)len;
		memcpy(w, qi->crypto.data + off, len);
		w += len;
	}
	r = tlsparse_client_hello(rec, (size_t)(w - rec), &qi->info.hello);
	free(rec);
	if (r < 0)
		return fail(qi, "CRYPTO data is not a valid ClientHello");
	return qi->result = QUIC_INITIAL_DONE;
}

/* After a datagram: DONE when the whole hello is in, NEED_MORE otherwise. */
static enum quic_initial_result check_hello(struct quic_initial *qi)
{
	const uint8_t *d = qi->crypto.data;
	size_t total;

	if (qi->crypto.contig >= 1 && d[0] != 1)
		return fail(qi, "CRYPTO data does not start with a ClientHello");
	if (qi->crypto.contig < 4)
		return QUIC_INITIAL_NEED_MORE;
	total = 4 + ((size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3]);
	if (total > QUIC_INITIAL_MAX_CRYPTO)
		return fail(qi, "ClientHello larger than the limit");
	if (qi->crypto.contig < total)
		return QUIC_INITIAL_NEED_MORE;
	return parse_hello(qi, total);
}

/* The first packet of the first datagram decides whether this is QUIC at all: a v1/v2 long
 * header that does not parse is an error, one of another version (or Version Negotiation, 0) is
 * an unknown version, anything else is plain UDP. */
static enum quic_initial_result first_packet(struct quic_initial *qi, const uint8_t *p, size_t n,
					     int r)
{
	uint32_t version;

	if (n < 5 || !(p[0] & LONG_HEADER))
		return qi->result = QUIC_INITIAL_NOT_QUIC;
	version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (version == QUIC_VERSION_1 || version == QUIC_VERSION_2)
		return fail(qi, "malformed long header");
	if (r == -EPROTONOSUPPORT)
		return qi->result = QUIC_INITIAL_UNKNOWN_VERSION;
	return qi->result = QUIC_INITIAL_NOT_QUIC;
}

static enum quic_initial_result feed_packets(struct quic_initial *qi, uint8_t *p, size_t n)
{
	size_t off = 0;
	bool any = false;

	while (off < n) {
		struct long_hdr h;
		const char *why;
		int r = -EINVAL;

		if (p[off] & LONG_HEADER)
			r = parse_long(p + off, n - off, &h);
		if (r < 0 && !qi->keyed && off == 0)
			return first_packet(qi, p, n, r);
		if (r < 0 && off > 0 && !(p[off] & LONG_HEADER))
			break; /* a short-header packet or padding after the long ones */
		if (r < 0)
			return fail(qi, r == -EPROTONOSUPPORT ? "packet of another QUIC version"
							      : "malformed long header");
		if (h.type == 0) {
			if ((why = key_for(qi, &h)) || (why = open_initial(qi, p + off, &h)))
				return fail(qi, why);
			any = true;
		}
		off += h.end;
	}
	if (!any && !qi->keyed)
		return fail(qi, "no Initial packet in the first datagram");
	return check_hello(qi);
}

enum quic_initial_result quic_initial_feed(struct quic_initial *qi, const uint8_t *dgram, size_t n)
{
	uint8_t *copy;
	enum quic_initial_result r;

	if (qi->result != QUIC_INITIAL_NEED_MORE)
		return qi->result;
	if (++qi->datagrams > QUIC_INITIAL_MAX_DATAGRAMS)
		return fail(qi, "ClientHello not complete after too many datagrams");
	if (n == 0 && !qi->keyed)
		return qi->result = QUIC_INITIAL_NOT_QUIC;
	copy = xmalloc(n ? n : 1);
	memcpy(copy, dgram, n);
	r = feed_packets(qi, copy, n);
	free(copy);
	return r;
}
