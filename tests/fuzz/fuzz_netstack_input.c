/* Fuzz target for the worker's userspace network stack (netstack). The input is a script of
 * records: op byte, then for packets a 2-byte length and the packet. Op bit 0x80 fixes up
 * checksums and bit 0x40 makes a TCP segment ACK the stack's last segment, so the fuzzer gets
 * past the checks into every TCP state; other ops advance the clock or act as the worker. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "netstack/netstack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXC 8

struct fz {
	struct ns_stack *s;
	struct ns_tcp *conns[MAXC];
	size_t nconns;
	uint32_t last_ack; /* what would ACK the stack's last TCP segment */
	uint64_t out_bytes;
};

static struct fz *cur;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t csum(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void on_output(void *arg, const uint8_t *pkt, size_t len)
{
	struct fz *f = arg;
	size_t hl = len > 0 && pkt[0] >> 4 == 4 ? 20 : 40;

	f->out_bytes += len;
	if (len >= hl + 20 && pkt[hl == 20 ? 9 : 6] == 6) {
		const uint8_t *t = pkt + hl;
		uint32_t seq =
		    (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
		size_t doff = (size_t)(t[12] >> 4) * 4;

		f->last_ack = seq + (uint32_t)(len - hl - doff) + !!(t[13] & 2) + !!(t[13] & 1);
	}
}

static void on_accept(void *arg, struct ns_tcp *c, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst)
{
	struct fz *f = arg;

	if (f->nconns == MAXC) {
		ns_tcp_abort(c);
		return;
	}
	f->conns[f->nconns++] = c;
}

static void on_udp(void *arg, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst, const uint8_t *d, size_t len)
{
	struct fz *f = arg;

	if (len > 0 && d[0] & 1)
		ns_udp_send(f->s, dst, src, d, len);
}

/* Fixes the IP and transport checksums (and the ACK number, if asked) of a packet. */
static void fixup(uint8_t *p, size_t len, bool ack)
{
	size_t hl, l4len;
	uint32_t sum = 0;
	uint8_t proto;
	int ver = p[0] >> 4;

	if (ver == 4 && len >= 20 && (p[0] & 15) == 5) {
		put16(p + 2, (uint16_t)len);
		put16(p + 10, 0);
		put16(p + 10, csum(0, p, 20));
		hl = 20;
		proto = p[9];
	} else if (ver == 6 && len >= 40) {
		put16(p + 4, (uint16_t)(len - 40));
		hl = 40;
		proto = p[6];
	} else {
		return;
	}
	l4len = len - hl;
	if (ver == 4 && (p[6] & 0x3f) != 0)
		return; /* fragments: leave alone */
	if (proto != 1) {
		size_t alen = ver == 4 ? 4 : 16;
		uint8_t ph[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};

		sum = (uint16_t)~csum(0, p + (ver == 4 ? 12 : 8), 2 * alen);
		sum += (uint16_t)~csum(0, ph, 4);
	}
	if (proto == 6 && l4len >= 20) {
		if (ack) {
			uint32_t a = cur->last_ack;

			p[hl + 8] = (uint8_t)(a >> 24);
			p[hl + 9] = (uint8_t)(a >> 16);
			p[hl + 10] = (uint8_t)(a >> 8);
			p[hl + 11] = (uint8_t)a;
		}
		put16(p + hl + 16, 0);
		put16(p + hl + 16, csum(sum, p + hl, l4len));
	} else if (proto == 17 && l4len >= 8) {
		put16(p + hl + 4, (uint16_t)l4len);
		put16(p + hl + 6, 0);
		put16(p + hl + 6, csum(sum, p + hl, l4len));
	} else if ((proto == 1 || proto == 58) && l4len >= 4) {
		put16(p + hl + 2, 0);
		put16(p + hl + 2, csum(sum, p + hl, l4len));
	}
}

static void app_op(struct fz *f, uint8_t arg)
{
	static uint8_t buf[70000];
	struct ns_tcp *c;
	size_t i = arg % MAXC;

	if (i >= f->nconns)
		return;
	c = f->conns[i];
	switch ((arg >> 3) & 7) {
	case 0:
	case 1:
		ns_tcp_recv(c, buf, (size_t)1 << (arg >> 6 << 2));
		break;
	case 2:
	case 3:
		memset(buf, 'x', 4000);
		ns_tcp_send(c, buf, (size_t)1 + ((size_t)arg << 6));
		break;
	case 4:
		ns_tcp_shutdown_write(c);
		break;
	case 5:
	case 6:
	case 7:
		if ((arg >> 3 & 7) == 7)
			ns_tcp_abort(c);
		else
			ns_tcp_close(c);
		f->conns[i] = f->conns[--f->nconns];
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ns_callbacks cb = {on_output, on_accept, on_udp, NULL};
	static uint8_t pkt[65536];
	struct loop *l = loop_new();
	struct fz f = {0};
	uint64_t now = loop_now(l);
	size_t i = 0;

	cur = &f;
	if (ns_new(l, &cb, &f, &f.s) != 0)
		abort();
	ns_test_seed(f.s, 42);
	while (i < size) {
		uint8_t op = data[i++];

		if ((op & 3) == 0 && size - i >= 2) {
			size_t n = get16(data + i);

			i += 2;
			n = n < size - i ? n : size - i;
			memcpy(pkt, data + i, n);
			i += n;
			if (op & 0x80)
				fixup(pkt, n, (op & 0x40) != 0);
			ns_input(f.s, pkt, n);
		} else if ((op & 3) == 1) {
			now += (uint64_t)(op >> 2) * ((op & 0x80) ? 1000 : 10);
			ns_tick(f.s, now);
		} else if ((op & 3) == 2 && i < size) {
			app_op(&f, data[i++]);
		}
	}
	/* finally let every timer run out */
	for (i = 0; i < 40; i++) {
		now += 30000;
		ns_tick(f.s, now);
	}
	for (i = 0; i < f.nconns; i++)
		ns_tcp_close(f.conns[i]);
	ns_free(f.s);
	loop_free(l);
	return 0;
}
