/* Runs in the worker. Trusts nothing: rdata comes from name servers. SVCB and HTTPS records
 * (RFC 9460): the structure is checked strictly (uncompressed target, keys in increasing order,
 * lengths); a known key whose value does not parse is shown in the generic keyN=hex form. */
#include <arpa/inet.h>
#include <errno.h>

#include "dns/dns_int.h"

enum {
	KEY_MANDATORY,
	KEY_ALPN,
	KEY_NO_DEFAULT_ALPN,
	KEY_PORT,
	KEY_IPV4HINT,
	KEY_ECH,
	KEY_IPV6HINT,
	KEY_DOHPATH
};

static const char *const key_names[] = {"mandatory", "alpn", "no-default-alpn", "port",
					"ipv4hint",  "ech",  "ipv6hint",	"dohpath"};

typedef bool (*param_fn)(const uint8_t *v, size_t n, struct dns_text *t);

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void key_name(struct dns_text *t, uint16_t key)
{
	if (key < ARRAY_SIZE(key_names))
		dns_text_puts(t, key_names[key]);
	else
		dns_text_printf(t, "key%u", key);
}

/* Bytes of a value string: ',' and '\' escaped, non-printables as \DDD. */
static void value_chars(struct dns_text *t, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == ',' || v[i] == '\\')
			dns_text_printf(t, "\\%c", v[i]);
		else if (v[i] <= 0x20 || v[i] > 0x7e)
			dns_text_printf(t, "\\%03u", v[i]);
		else
			dns_text_putc(t, (char)v[i]);
	}
}

static bool show_mandatory(const uint8_t *v, size_t n, struct dns_text *t)
{
	if (n == 0 || n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		if (i)
			dns_text_putc(t, ',');
		key_name(t, get16(v + i));
	}
	return true;
}

static bool alpn_valid(const uint8_t *v, size_t n)
{
	size_t off = 0;

	if (n == 0)
		return false;
	while (off < n) {
		size_t len = v[off++];
		if (len == 0 || len > n - off)
			return false;
		off += len;
	}
	return true;
}

static bool show_alpn(const uint8_t *v, size_t n, struct dns_text *t)
{
	if (!alpn_valid(v, n))
		return false;
	for (size_t off = 0; off < n; off += 1 + (size_t)v[off]) {
		if (off)
			dns_text_putc(t, ',');
		value_chars(t, v + off + 1, v[off]);
	}
	return true;
}

static bool show_port(const uint8_t *v, size_t n, struct dns_text *t)
{
	if (n != 2)
		return false;
	dns_text_printf(t, "%u", get16(v));
	return true;
}

static bool show_hints(const uint8_t *v, size_t n, struct dns_text *t, int af, size_t size)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n % size)
		return false;
	for (size_t i = 0; i < n; i += size) {
		if (!inet_ntop(af, v + i, buf, sizeof(buf)))
			return false;
		if (i)
			dns_text_putc(t, ',');
		dns_text_puts(t, buf);
	}
	return true;
}

static bool show_ipv4(const uint8_t *v, size_t n, struct dns_text *t)
{
	return show_hints(v, n, t, AF_INET, 4);
}

static bool show_ipv6(const uint8_t *v, size_t n, struct dns_text *t)
{
	return show_hints(v, n, t, AF_INET6, 16);
}

static bool show_ech(const uint8_t *v, size_t n, struct dns_text *t)
{
	if (n == 0)
		return false;
	dns_text_base64(t, v, n);
	return true;
}

static bool show_dohpath(const uint8_t *v, size_t n, struct dns_text *t)
{
	value_chars(t, v, n);
	return true;
}

static const param_fn param_fns[] = {show_mandatory, show_alpn, NULL,	   show_port,
				     show_ipv4,	     show_ech,	show_ipv6, show_dohpath};

static void show_param(uint16_t key, const uint8_t *v, size_t n, struct dns_text *t)
{
	struct dns_text saved = *t;

	dns_text_putc(t, ' ');
	if (key == KEY_NO_DEFAULT_ALPN && n == 0) {
		key_name(t, key);
		return;
	}
	if (key < ARRAY_SIZE(param_fns) && param_fns[key]) {
		key_name(t, key);
		dns_text_putc(t, '=');
		if (param_fns[key](v, n, t))
			return;
		*t = saved; /* malformed value: fall back to the generic form */
		t->p[t->len] = '\0';
		dns_text_putc(t, ' ');
	}
	dns_text_printf(t, "key%u=", key);
	dns_text_hex(t, v, n);
}

int dns_svcb_display(const uint8_t *rd, size_t n, struct dns_text *t)
{
	char name[DNS_NAME_TEXT_MAX];
	struct dns_wname w;
	size_t off = 2;
	long last = -1;

	if (n < 3 || dns_name_read(rd, n, &off, false, NULL, &w) < 0)
		return -EBADMSG;
	dns_name_to_text(&w, name, sizeof(name));
	dns_text_printf(t, "%u ", get16(rd));
	dns_text_puts(t, name);
	while (off < n) {
		if (n - off < 4)
			return -EBADMSG;
		uint16_t key = get16(rd + off), len = get16(rd + off + 2);
		off += 4;
		if (len > n - off || (long)key <= last)
			return -EBADMSG;
		last = key;
		show_param(key, rd + off, len, t);
		off += len;
	}
	return 0;
}
