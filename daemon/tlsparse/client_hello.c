/* Runs in the worker; trusts nothing in the bytes. Parses a reassembled ClientHello body
 * strictly (RFC 8446 4.1.2 / RFC 5246 7.4.1.2): every length is checked against what encloses
 * it, and only server_name, ALPN and supported_versions are looked into. */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "tlsparse/tlsparse_int.h"

#define TLS_RANDOM_LEN 32
#define TLS_SESSION_ID_MAX 32
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_ALPN 16
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_SNI_HOST_NAME 0
#define TLS_VERSION_13 0x0304

/* A bounded view of the bytes still to be parsed. */
struct cur {
	const uint8_t *p;
	size_t n;
};

static bool cur_u8(struct cur *c, uint8_t *v)
{
	if (c->n < 1)
		return false;
	*v = c->p[0];
	c->p++;
	c->n--;
	return true;
}

static bool cur_u16(struct cur *c, uint16_t *v)
{
	if (c->n < 2)
		return false;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->n -= 2;
	return true;
}

/* Splits the next len bytes off c into sub. */
static bool cur_take(struct cur *c, size_t len, struct cur *sub)
{
	if (c->n < len)
		return false;
	sub->p = c->p;
	sub->n = len;
	c->p += len;
	c->n -= len;
	return true;
}

/* An opaque vector with an 8-bit (wide == false) or 16-bit length prefix. */
static bool cur_vec(struct cur *c, bool wide, struct cur *sub)
{
	uint16_t len16;
	uint8_t len8;

	if (wide) {
		if (!cur_u16(c, &len16))
			return false;
		return cur_take(c, len16, sub);
	}
	if (!cur_u8(c, &len8))
		return false;
	return cur_take(c, len8, sub);
}

static bool sni_char_ok(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_';
}

static int sni_store(const struct cur *name, struct tls_client_hello *out)
{
	if (name->n == 0 || name->n >= sizeof(out->sni) || out->sni[0] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < name->n; i++)
		if (!sni_char_ok(name->p[i]))
			return -EINVAL;
	memcpy(out->sni, name->p, name->n);
	out->sni[name->n] = '\0';
	return 0;
}

/* RFC 6066 3: a ServerNameList with at most one host_name; other name types are skipped. */
static int ext_server_name(struct cur *d, struct tls_client_hello *out)
{
	struct cur list, name;
	uint8_t type;
	int r;

	if (!cur_vec(d, true, &list) || d->n != 0 || list.n == 0)
		return -EINVAL;
	while (list.n > 0) {
		if (!cur_u8(&list, &type) || !cur_vec(&list, true, &name))
			return -EINVAL;
		if (type != TLS_SNI_HOST_NAME)
			continue;
		r = sni_store(&name, out);
		if (r < 0)
			return r;
	}
	return 0;
}

static void alpn_store(const struct cur *proto, struct tls_client_hello *out)
{
	char *dst;

	if (out->nalpn == TLSPARSE_MAX_ALPN || proto->n >= sizeof(out->alpn[0]) ||
	    memchr(proto->p, '\0', proto->n) != NULL) {
		out->alpn_truncated = true;
		return;
	}
	dst = out->alpn[out->nalpn++];
	memcpy(dst, proto->p, proto->n);
	dst[proto->n] = '\0';
}

/* RFC 7301 3.1: a non-empty ProtocolNameList of non-empty names. */
static int ext_alpn(struct cur *d, struct tls_client_hello *out)
{
	struct cur list, proto;

	if (!cur_vec(d, true, &list) || d->n != 0 || list.n == 0)
		return -EINVAL;
	while (list.n > 0) {
		if (!cur_vec(&list, false, &proto) || proto.n == 0)
			return -EINVAL;
		alpn_store(&proto, out);
	}
	return 0;
}

/* RFC 8446 4.2.1: versions<2..254> in a ClientHello. */
static int ext_supported_versions(struct cur *d, struct tls_client_hello *out)
{
	struct cur list;
	uint16_t v;

	if (!cur_vec(d, false, &list) || d->n != 0 || list.n < 2 || list.n % 2 != 0)
		return -EINVAL;
	while (cur_u16(&list, &v))
		if (v == TLS_VERSION_13)
			out->has_supported_versions_13 = true;
	return 0;
}

static const struct {
	uint16_t type;
	int (*parse)(struct cur *d, struct tls_client_hello *out);
} ext_table[] = {
    {TLS_EXT_SERVER_NAME, ext_server_name},
    {TLS_EXT_ALPN, ext_alpn},
    {TLS_EXT_SUPPORTED_VERSIONS, ext_supported_versions},
};

/* Walks the extensions block; the ones in ext_table may appear at most once. */
static int hello_extensions(struct cur *exts, struct tls_client_hello *out)
{
	unsigned seen = 0;

	while (exts->n > 0) {
		struct cur data;
		uint16_t type;

		if (!cur_u16(exts, &type) || !cur_vec(exts, true, &data))
			return -EINVAL;
		for (size_t i = 0; i < ARRAY_SIZE(ext_table); i++) {
			int r;

			if (ext_table[i].type != type)
				continue;
			if (seen & (1u << i))
				return -EINVAL;
			seen |= 1u << i;
			r = ext_table[i].parse(&data, out);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int tlsparse_parse_body(const uint8_t *p, size_t n, struct tls_client_hello *out)
{
	struct cur c = {p, n}, skip, suites, comp, exts;

	memset(out, 0, sizeof(*out));
	if (!cur_u16(&c, &out->legacy_version) || out->legacy_version >> 8 != 0x03)
		return -EINVAL;
	if (!cur_take(&c, TLS_RANDOM_LEN, &skip))
		return -EINVAL;
	if (!cur_vec(&c, false, &skip) || skip.n > TLS_SESSION_ID_MAX)
		return -EINVAL;
	if (!cur_vec(&c, true, &suites) || suites.n == 0 || suites.n % 2 != 0)
		return -EINVAL;
	if (!cur_vec(&c, false, &comp) || comp.n == 0)
		return -EINVAL;
	if (c.n == 0)
		return 0; /* no extensions block at all (allowed before TLS 1.3) */
	if (!cur_vec(&c, true, &exts) || c.n != 0)
		return -EINVAL;
	return hello_extensions(&exts, out);
}
