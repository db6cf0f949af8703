/* Runs in the ui: downloads (/flows.snare, /flows.har) and the upload of a
 * flow file (POST /api/flows/import, and -r at start).  A download is
 * produced as the socket takes it, a few records at a time, so exporting
 * every flow costs no more memory than a screen of them.  An uploaded file
 * is untrusted: flowfile_read_mem checks every record's length. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/flowfile.h"
#include "output/har.h"
#include "ui/ui_int.h"

#define EXPORT_CHUNK (256u * 1024) /* bytes queued per refill */

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t varint_put(uint64_t v, uint8_t *p)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* Appends records until EXPORT_CHUNK bytes are queued; 1 when all are. */
static int fill_snare(struct ui *ui, struct ui_conn *c)
{
	struct ui_stream *st = &c->stream;
	uint8_t pre[10], *buf;

	while (st->pos < st->n && ui_out_pending(c) < EXPORT_CHUNK) {
		const struct ui_sum *m = ui_store_sum(ui->store, st->idx[st->pos]);

		buf = xmalloc(m->len ? m->len : 1);
		if (ui_store_read_raw(ui->store, st->idx[st->pos], buf) < 0) {
			free(buf);
			c->close_after = true; /* the length promised cannot be kept */
			return 1;
		}
		ui_out_append(c, pre, varint_put(m->len, pre));
		ui_out_append(c, buf, m->len);
		free(buf);
		st->pos++;
	}
	return st->pos == st->n;
}

void ui_export_snare(struct ui *ui, struct ui_conn *c, uint32_t *idx, size_t n)
{
	size_t total = strlen(FLOWFILE_MAGIC), i;
	char head[1024];
	int hl;

	for (i = 0; i < n; i++) {
		const struct ui_sum *m = ui_store_sum(ui->store, idx[i]);

		total += varint_len(m->len) + m->len;
	}
	hl = snprintf(head, sizeof(head),
		      "HTTP/1.1 200 OK\r\n"
		      "Content-Type: application/octet-stream\r\n"
		      "Content-Disposition: attachment; filename=flows.snare\r\n"
		      "Content-Length: %zu\r\n"
		      "Cache-Control: no-store\r\n"
		      "X-Content-Type-Options: nosniff\r\n\r\n",
		      total);
	ui_out_append(c, head, (size_t)hl);
	ui_out_append(c, FLOWFILE_MAGIC, strlen(FLOWFILE_MAGIC));
	c->stream.idx = idx;
	c->stream.n = n;
	c->stream.pos = 0;
	c->stream.fill = fill_snare;
}

/* One chunk of a chunked answer (RFC 9112 7.1); an empty one ends it. */
static void chunk_append(struct ui_conn *c, const void *p, size_t n)
{
	char size[24];
	int l = snprintf(size, sizeof(size), "%zx\r\n", n);

	ui_out_append(c, size, (size_t)l);
	ui_out_append(c, p, n);
	ui_out_append(c, "\r\n", 2);
}

static void har_ctx_free(void *ctx)
{
	har_stream_free(ctx);
}

/* Appends entries until EXPORT_CHUNK bytes are queued, then the closing
 * text and the last chunk; 1 when all are. */
static int fill_har(struct ui *ui, struct ui_conn *c)
{
	struct ui_stream *st = &c->stream;

	while (st->pos < st->n && ui_out_pending(c) < EXPORT_CHUNK) {
		Snare__Flow *f = ui_store_load(ui->store, st->idx[st->pos++]);
		char *text;
		size_t len;

		if (f == NULL)
			continue; /* unreadable: left out, as har_add leaves out non-HTTP flows */
		text = har_stream_entry(st->ctx, f, &len);
		snare__flow__free_unpacked(f, NULL);
		if (text)
			chunk_append(c, text, len);
		free(text);
	}
	if (st->pos < st->n)
		return 0;
	chunk_append(c, har_stream_tail(), strlen(har_stream_tail()));
	ui_out_append(c, "0\r\n\r\n", 5);
	return 1;
}

/* The HAR of any number of flows, streamed in chunks as the socket takes
 * them (the length is not known before every entry is built). */
void ui_export_har(struct ui *ui, struct ui_conn *c, uint32_t *idx, size_t n)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Disposition: attachment; filename=flows.har\r\n"
				   "Transfer-Encoding: chunked\r\n"
				   "Cache-Control: no-store\r\n"
				   "X-Content-Type-Options: nosniff\r\n\r\n";
	size_t len;
	char *open = har_stream_head(&len);

	if (open == NULL) {
		free(idx);
		ui_respond_error(c, 500, "cannot build the HAR file");
		return;
	}
	ui_out_append(c, head, sizeof(head) - 1);
	chunk_append(c, open, len);
	free(open);
	c->stream.idx = idx;
	c->stream.n = n;
	c->stream.pos = 0;
	c->stream.fill = fill_har;
	c->stream.ctx = har_stream_new();
	c->stream.ctx_free = har_ctx_free;
}

struct import_ctx {
	struct ui *ui;
	size_t count;
	int err;
};

static void import_one(const Snare__Flow *f, void *arg)
{
	struct import_ctx *x = arg;

	if (x->err == 0 && ui_take_flow(x->ui, f) == 0)
		x->count++;
}

int ui_import_fd(struct ui *ui, int fd, size_t *count, char *err, size_t errlen)
{
	struct import_ctx x = {.ui = ui};
	int rc = flowfile_read_fd(fd, "the flow file (-r)", import_one, &x, err, errlen);

	*count = x.count;
	return rc;
}

int ui_import(struct ui *ui, const uint8_t *data, size_t len, size_t *count, char *err,
	      size_t errlen)
{
	struct import_ctx x = {.ui = ui};
	int rc = flowfile_read_mem(data, len, "the flow file", import_one, &x, err, errlen);

	*count = x.count;
	return rc;
}
