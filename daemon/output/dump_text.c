/* Text helpers for the flow dumpers: addresses, escaping, headers, bodies
 * and sizes.  Runs in the coordinator; flows come from workers and every
 * byte of them is untrusted, so nothing reaches the terminal unescaped. */
#include "output/dump_int.h"

#include <string.h>

#include "core/addr.h"
#include "core/escape.h"

#define HEX_PER_LINE 16

void dump_addr(const Snare__Address *a, char *out, size_t len)
{
	union sockaddr_any sa;
	char host[4 * 255 + 1];
	uint16_t port;

	if (!a || !a->host || !a->host[0]) {
		snprintf(out, len, "<no address>");
		return;
	}
	port = a->has_port ? (uint16_t)a->port : 0;
	if (addr_parse_ip(a->host, port, &sa) == 0) {
		addr_format(&sa.sa, out, len);
		return;
	}
	/* A name a client or server chose (SOCKS5, Host, SNI): escaped. */
	esc_str(host, sizeof(host), (const uint8_t *)a->host, strnlen(a->host, 255), "");
	if (strchr(host, ':'))
		snprintf(out, len, "[%s]:%u", host, port);
	else
		snprintf(out, len, "%s:%u", host, port);
}

void dump_client(const Snare__Flow *f, char *out, size_t len)
{
	dump_addr(f->client ? f->client->peer : NULL, out, len);
}

void dump_server(const Snare__Flow *f, char *out, size_t len)
{
	const Snare__Connection *s = f->server;

	if (s && s->address && s->address->host && s->address->host[0])
		dump_addr(s->address, out, len);
	else
		dump_addr(s ? s->peer : NULL, out, len);
}

size_t dump_utf8_len(const uint8_t *p, size_t n)
{
	return esc_utf8_len(p, n);
}

/* Writes p[0..n) safely; tabs are kept when keep_tab (body lines). */
static void text_write(FILE *out, const uint8_t *p, size_t n, bool keep_tab)
{
	esc_write(out, p, n, keep_tab ? "\t" : "");
}

void dump_text(FILE *out, const char *s)
{
	if (s)
		text_write(out, (const uint8_t *)s, strlen(s), false);
}

/* Header bytes the way mitmproxy shows them: printable ASCII as is,
 * everything else as \xNN (and \t \r \n), backslash doubled. */
static void escaped_write(FILE *out, const ProtobufCBinaryData *b)
{
	for (size_t i = 0; i < b->len; i++) {
		uint8_t c = b->data[i];

		if (c == '\\')
			fputs("\\\\", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void dump_headers(FILE *out, Snare__Header *const *h, size_t n)
{
	static const ProtobufCBinaryData none = {0, NULL};

	for (size_t i = 0; i < n; i++) {
		fputs("    ", out);
		escaped_write(out, h[i]->has_name ? &h[i]->name : &none);
		fputs(": ", out);
		escaped_write(out, h[i]->has_value ? &h[i]->value : &none);
		fputc('\n', out);
	}
}

void dump_trailers(FILE *out, Snare__Header *const *h, size_t n)
{
	if (n == 0)
		return;
	fputs("    --- HTTP Trailers\n", out);
	dump_headers(out, h, n);
}

static bool body_is_text(const uint8_t *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		uint8_t c = p[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return false;
		k = dump_utf8_len(p + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Writes one line of text starting at *pos; returns false at the end. */
static bool text_line(FILE *out, const uint8_t *p, size_t n, size_t *pos)
{
	const uint8_t *nl;
	size_t start = *pos, end;

	if (start >= n)
		return false;
	nl = memchr(p + start, '\n', n - start);
	end = nl ? (size_t)(nl - p) : n;
	*pos = nl ? end + 1 : n;
	if (end > start && p[end - 1] == '\r')
		end--;
	text_write(out, p + start, end - start, true);
	fputc('\n', out);
	return true;
}

/* "0000000010 48 65 6c ...   Hel" (mitmproxy's hex view). */
static bool hex_line(FILE *out, const uint8_t *p, size_t n, size_t *pos)
{
	size_t start = *pos, m = n - start < HEX_PER_LINE ? n - start : HEX_PER_LINE;

	if (start >= n)
		return false;
	fprintf(out, "%010zx ", start);
	for (size_t i = 0; i < HEX_PER_LINE; i++) {
		if (i < m)
			fprintf(out, "%02x ", p[start + i]);
		else
			fputs("   ", out);
	}
	for (size_t i = 0; i < m; i++) {
		uint8_t c = p[start + i];

		fputc(c >= 0x20 && c < 0x7f ? c : '.', out);
	}
	fputc('\n', out);
	*pos = start + m;
	return true;
}

void dump_body(FILE *out, const uint8_t *p, size_t n, bool present, int detail)
{
	bool (*line)(FILE *, const uint8_t *, size_t, size_t *);
	size_t pos = 0, lines = 0;

	if (!present) {
		fputs("\n(content missing)\n\n", out);
		return;
	}
	line = body_is_text(p, n) ? text_line : hex_line;
	if (n > 0)
		fputc('\n', out);
	while (detail < 4 && lines < DUMP_BODY_CUTOFF && line(out, p, n, &pos))
		lines++;
	while (detail >= 4 && line(out, p, n, &pos))
		;
	if (pos < n)
		fputs("    (cut off)\n", out);
	fputc('\n', out);
}

void dump_pretty_size(unsigned long long n, char *buf, size_t len)
{
	static const char units[] = "kmgt";
	double v = (double)n;
	size_t k;

	if (n < 1024) {
		snprintf(buf, len, "%llub", n);
		return;
	}
	for (k = 0; k < sizeof(units) - 1; k++) {
		v /= 1024;
		if (v < 99.95) {
			char *dot;

			snprintf(buf, len, "%.1f%c", v, units[k]);
			dot = strstr(buf, ".0");
			if (dot)
				memmove(dot, dot + 2, strlen(dot + 2) + 1);
			return;
		}
		if (v < 1024 || k == sizeof(units) - 2)
			break;
	}
	snprintf(buf, len, "%.0f%c", v, units[k]);
}
