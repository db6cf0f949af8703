/* Runs in the worker. Trusts nothing: names come from messages (wire form) or from callers
 * (presentation form). Reading with strictly backward compression pointers, bounded per name
 * (DNS_MAX_HOPS) and per message (a step budget proportional to its length), and the
 * conversions between wire and presentation forms. */
#include <errno.h>
#include <string.h>

#include "dns/dns_int.h"

#define DNS_LABEL_MAX 63
#define DNS_MAX_LABELS 127

static int name_add_label(struct dns_wname *out, const uint8_t *label, size_t n)
{
	/* Keep room for the final root byte. */
	if (n > DNS_LABEL_MAX || out->len + 1 + n + 1 > DNS_NAME_WIRE_MAX)
		return -EBADMSG;
	out->b[out->len++] = (uint8_t)n;
	memcpy(out->b + out->len, label, n);
	out->len += n;
	return 0;
}

void dns_budget_init(struct dns_budget *b, size_t msglen)
{
	b->left = msglen * DNS_STEPS_PER_BYTE;
	b->used = 0;
}

/* One step of work on a name: a label read or a pointer followed. */
static bool name_step(struct dns_budget *b)
{
	if (b == NULL)
		return true;
	if (b->left == 0)
		return false;
	b->left--;
	b->used++;
	return true;
}

int dns_name_read(const uint8_t *msg, size_t limit, size_t *off, bool allow_ptr,
		  struct dns_budget *budget, struct dns_wname *out)
{
	size_t pos = *off, labels = 0, hops = 0;
	bool jumped = false;

	out->len = 0;
	for (;;) {
		if (pos >= limit)
			return -EBADMSG;
		uint8_t c = msg[pos];
		if (c == 0)
			break;
		if (!name_step(budget))
			return -EBADMSG;
		if ((c & 0xc0) == 0xc0) {
			if (!allow_ptr || pos + 1 >= limit || ++hops > DNS_MAX_HOPS)
				return -EBADMSG;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target >= pos || target < DNS_HEADER_LEN)
				return -EBADMSG;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			/* The name pointed to was complete before this pointer. */
			limit = pos;
			pos = target;
			continue;
		}
		if (c > DNS_LABEL_MAX || pos + 1 + c > limit || ++labels > DNS_MAX_LABELS)
			return -EBADMSG;
		if (name_add_label(out, msg + pos + 1, c) < 0)
			return -EBADMSG;
		pos += 1 + (size_t)c;
	}
	out->b[out->len++] = 0;
	if (!jumped)
		*off = pos + 1;
	return 0;
}

static bool needs_escape(uint8_t c)
{
	return c < 0x21 || c > 0x7e || strchr(".\\\"();@$", c) != NULL;
}

void dns_name_to_text(const struct dns_wname *w, char *out, size_t outlen)
{
	struct dns_text t;
	size_t pos = 0;

	dns_text_init(&t, out, outlen);
	if (w->len <= 1)
		dns_text_putc(&t, '.');
	while (pos < w->len && w->b[pos] != 0) {
		size_t n = w->b[pos++];
		if (t.len > 0)
			dns_text_putc(&t, '.');
		for (size_t i = 0; i < n && pos + i < w->len; i++) {
			uint8_t c = w->b[pos + i];
			if (!needs_escape(c))
				dns_text_putc(&t, (char)c);
			else if (c >= 0x21 && c <= 0x7e)
				dns_text_printf(&t, "\\%c", c);
			else
				dns_text_printf(&t, "\\%03u", c);
		}
		pos += n;
	}
	dns_text_finish(&t);
}

/* One presentation character at *s: a plain byte, "\c" or "\DDD". */
static int text_char(const char **s, uint8_t *c)
{
	const char *p = *s;

	if (*p != '\\') {
		*c = (uint8_t)*p;
		*s = p + 1;
		return 0;
	}
	p++;
	if (*p >= '0' && *p <= '9') {
		unsigned v = 0;
		for (int i = 0; i < 3; i++, p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > 255)
			return -EINVAL;
		*c = (uint8_t)v;
	} else if (*p == '\0') {
		return -EINVAL;
	} else {
		*c = (uint8_t)*p++;
	}
	*s = p;
	return 0;
}

int dns_name_from_text(const char *s, struct dns_wname *out)
{
	uint8_t label[DNS_LABEL_MAX + 1];
	size_t n = 0;

	out->len = 0;
	if (strcmp(s, ".") == 0 || *s == '\0')
		goto root;
	while (*s) {
		if (*s == '.') {
			if (n == 0 || name_add_label(out, label, n) < 0)
				return -EINVAL;
			n = 0;
			s++;
			continue;
		}
		if (n == sizeof(label) || text_char(&s, &label[n++]) < 0)
			return -EINVAL;
	}
	if (n > 0 && name_add_label(out, label, n) < 0)
		return -EINVAL;
root:
	out->b[out->len++] = 0;
	return 0;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool dns_name_equal(const char *a, const char *b)
{
	struct dns_wname wa, wb;

	if (dns_name_from_text(a, &wa) < 0 || dns_name_from_text(b, &wb) < 0)
		return false;
	if (wa.len != wb.len)
		return false;
	for (size_t i = 0; i < wa.len; i++)
		if (lower(wa.b[i]) != lower(wb.b[i]))
			return false;
	return true;
}
