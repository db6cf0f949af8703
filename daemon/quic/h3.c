/* Runs in the worker. HTTP/3 over a QUIC connection with nghttp3: request and response heads,
 * bodies (queued in the stream's send buffer, read by nghttp3 as it frames them), trailers,
 * resets, reported through neutral callbacks (head, data, trailers, end, reset). Trusts
 * nothing from the peer: nghttp3 checks the framing and QPACK. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "quic/quic_int.h"
#include "core/unconst.h"

#define MAX_FIELDS 256

struct quic_h3 {
	struct quic_conn *c;
	nghttp3_conn *h;
	struct quic_h3_callbacks cb;
	void *arg;
	struct quic_h3_field fields[MAX_FIELDS];
	size_t nfields;
	bool fields_truncated;
};

static void fields_clear(struct quic_h3 *h)
{
	for (size_t i = 0; i < h->nfields; i++) {
		free(unconst(h->fields[i].name));
		free(unconst(h->fields[i].value));
	}
	h->nfields = 0;
	h->fields_truncated = false;
}

static uint8_t *dup_vec(nghttp3_vec v)
{
	uint8_t *p = xmalloc(v.len + 1);

	memcpy(p, v.base, v.len);
	p[v.len] = '\0';
	return p;
}

static int begin_headers(nghttp3_conn *hc, int64_t id, void *ud, void *sud)
{
	fields_clear(ud);
	return 0;
}

static int recv_header(nghttp3_conn *hc, int64_t id, int32_t token, nghttp3_rcbuf *name,
		       nghttp3_rcbuf *value, uint8_t flags, void *ud, void *sud)
{
	struct quic_h3 *h = ud;
	nghttp3_vec n = nghttp3_rcbuf_get_buf(name), v = nghttp3_rcbuf_get_buf(value);

	if (h->nfields == MAX_FIELDS) {
		h->fields_truncated = true;
		return 0;
	}
	h->fields[h->nfields].name = dup_vec(n);
	h->fields[h->nfields].name_len = n.len;
	h->fields[h->nfields].value = dup_vec(v);
	h->fields[h->nfields].value_len = v.len;
	h->nfields++;
	return 0;
}

static int end_headers(nghttp3_conn *hc, int64_t id, int fin, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	if (h->fields_truncated)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	if (h->cb.head)
		h->cb.head(h->arg, id, h->fields, h->nfields);
	fields_clear(h);
	return 0;
}

static int end_trailers(nghttp3_conn *hc, int64_t id, int fin, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	if (h->cb.trailers)
		h->cb.trailers(h->arg, id, h->fields, h->nfields);
	fields_clear(h);
	return 0;
}

static int recv_data(nghttp3_conn *hc, int64_t id, const uint8_t *p, size_t n, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	if (h->cb.data)
		h->cb.data(h->arg, id, p, n);
	if (!h->c->manual_credit)
		quic_credit(h->c, id, n);
	return 0;
}

static int deferred_consume(nghttp3_conn *hc, int64_t id, size_t n, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	quic_credit(h->c, id, n); /* framing bytes nghttp3 consumed: always credited */
	return 0;
}

static int end_stream(nghttp3_conn *hc, int64_t id, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	if (h->cb.end)
		h->cb.end(h->arg, id);
	return 0;
}

static int reset_stream(nghttp3_conn *hc, int64_t id, uint64_t code, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	if (h->cb.reset)
		h->cb.reset(h->arg, id, code);
	ngtcp2_conn_shutdown_stream_write(h->c->conn, id, code);
	return 0;
}

static int stop_sending(nghttp3_conn *hc, int64_t id, uint64_t code, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	ngtcp2_conn_shutdown_stream_read(h->c->conn, id, code);
	return 0;
}

static int acked_data(nghttp3_conn *hc, int64_t id, uint64_t n, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	quic_stream_acked(h->c, id, n);
	return 0;
}

static int stream_close(nghttp3_conn *hc, int64_t id, uint64_t code, void *ud, void *sud)
{
	struct quic_h3 *h = ud;

	quic_stream_closed(h->c, id);
	if (h->cb.close)
		h->cb.close(h->arg, id, code);
	return 0;
}

static const nghttp3_callbacks h3_callbacks = {
    .acked_stream_data = acked_data,
    .stream_close = stream_close,
    .recv_data = recv_data,
    .deferred_consume = deferred_consume,
    .begin_headers = begin_headers,
    .recv_header = recv_header,
    .end_headers = end_headers,
    .begin_trailers = begin_headers,
    .recv_trailer = recv_header,
    .end_trailers = end_trailers,
    .stop_sending = stop_sending,
    .end_stream = end_stream,
    .reset_stream = reset_stream,
};

/* nghttp3 pulls body bytes from the stream's send buffer. */
static nghttp3_ssize read_data(nghttp3_conn *hc, int64_t id, nghttp3_vec *vec, size_t veccnt,
			       uint32_t *pflags, void *ud, void *sud)
{
	struct quic_h3 *h = ud;
	struct qstream *s = quic_stream_get(h->c, id, false);
	size_t nv, total = 0;

	if (!s) {
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
		return 0;
	}
	nv = sbuf_peek(&s->out, (ngtcp2_vec *)vec, veccnt);
	for (size_t i = 0; i < nv; i++)
		total += vec[i].len;
	sbuf_sent(&s->out, total);
	if (s->out.unsent == 0 && s->h3_end)
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
	if (nv == 0 && !(*pflags & NGHTTP3_DATA_FLAG_EOF))
		return NGHTTP3_ERR_WOULDBLOCK;
	return (nghttp3_ssize)nv;
}

static const nghttp3_data_reader reader = {read_data};

static int h3_next(struct quic_conn *c, int64_t *sid, int *fin, ngtcp2_vec *v, size_t *nv)
{
	nghttp3_ssize n;

	*sid = -1;
	*nv = 0;
	*fin = 0;
	if (!c->h3->h)
		return 0;
	n = nghttp3_conn_writev_stream(c->h3->h, sid, fin, (nghttp3_vec *)v, 16);
	if (n < 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	*nv = (size_t)n;
	return 0;
}

static void h3_wrote(struct quic_conn *c, int64_t sid, size_t n)
{
	nghttp3_conn_add_write_offset(c->h3->h, sid, n);
}

static void h3_blocked(struct quic_conn *c, int64_t sid)
{
	nghttp3_conn_block_stream(c->h3->h, sid);
}

static void h3_shut(struct quic_conn *c, int64_t sid)
{
	nghttp3_conn_shutdown_stream_write(c->h3->h, sid);
}

static const struct quic_writer h3_writer = {h3_next, h3_wrote, h3_blocked, h3_shut};

/* Creates the nghttp3 connection and its three unidirectional streams. */
static int h3_setup(struct quic_h3 *h)
{
	struct quic_conn *c = h->c;
	nghttp3_settings s;
	int64_t ctrl, enc, dec;
	int r;

	nghttp3_settings_default(&s);
	s.qpack_max_dtable_capacity = 4096;
	s.qpack_blocked_streams = 100;
	r = c->server ? nghttp3_conn_server_new(&h->h, &h3_callbacks, &s, NULL, h)
		      : nghttp3_conn_client_new(&h->h, &h3_callbacks, &s, NULL, h);
	if (r != 0)
		return -ENOMEM;
	if (c->server)
		nghttp3_conn_set_max_client_streams_bidi(h->h, 100);
	if (ngtcp2_conn_open_uni_stream(c->conn, &ctrl, NULL) != 0 ||
	    ngtcp2_conn_open_uni_stream(c->conn, &enc, NULL) != 0 ||
	    ngtcp2_conn_open_uni_stream(c->conn, &dec, NULL) != 0 ||
	    nghttp3_conn_bind_control_stream(h->h, ctrl) != 0 ||
	    nghttp3_conn_bind_qpack_streams(h->h, enc, dec) != 0)
		return -EPROTO;
	return 0;
}

struct quic_h3 *quic_h3_attach(struct quic_conn *c, const struct quic_h3_callbacks *cb, void *arg)
{
	struct quic_h3 *h = xcalloc(1, sizeof(*h));

	h->c = c;
	h->cb = *cb;
	h->arg = arg;
	c->h3 = h;
	c->writer = &h3_writer;
	if (c->hs_done && h3_setup(h) < 0) {
		quic_conn_close(c, true, NGHTTP3_H3_INTERNAL_ERROR, "HTTP/3 setup failed");
		return h;
	}
	return h;
}

void quic_h3_free(struct quic_h3 *h)
{
	if (!h)
		return;
	fields_clear(h);
	if (h->h)
		nghttp3_conn_del(h->h);
	free(h);
}

int quic_h3_on_handshake(struct quic_conn *c)
{
	return c->h3 && !c->h3->h ? h3_setup(c->h3) : 0;
}

int quic_h3_on_stream_data(struct quic_conn *c, int64_t id, const uint8_t *p, size_t n, bool fin)
{
	nghttp3_ssize used;

	if (!c->h3->h)
		return -EPROTO;
	used = nghttp3_conn_read_stream(c->h3->h, id, p, n, fin);
	if (used < 0) {
		quic_conn_close(c, true, nghttp3_err_infer_quic_app_error_code((int)used),
				nghttp3_strerror((int)used));
		return 0;
	}
	quic_credit(c, id, (uint64_t)used);
	return 0;
}

void quic_h3_on_acked(struct quic_conn *c, int64_t id, uint64_t n)
{
	if (c->h3->h)
		nghttp3_conn_add_ack_offset(c->h3->h, id, n);
}

void quic_h3_on_close(struct quic_conn *c, int64_t id, uint64_t code)
{
	if (c->h3->h)
		nghttp3_conn_close_stream(c->h3->h, id, code);
	quic_stream_closed(c, id);
}

void quic_h3_on_reset(struct quic_conn *c, int64_t id, uint64_t code)
{
	if (c->h3->h)
		nghttp3_conn_shutdown_stream_read(c->h3->h, id);
	if (c->h3->cb.reset && !(id & 2))
		c->h3->cb.reset(c->h3->arg, id, code);
}

void quic_h3_on_unblock(struct quic_conn *c, int64_t id)
{
	if (c->h3->h)
		nghttp3_conn_unblock_stream(c->h3->h, id);
}

static nghttp3_nv *to_nv(const struct quic_h3_field *f, size_t n)
{
	nghttp3_nv *nv = xcalloc(n ? n : 1, sizeof(*nv));

	for (size_t i = 0; i < n; i++) {
		nv[i].name = unconst(f[i].name);
		nv[i].namelen = f[i].name_len;
		nv[i].value = unconst(f[i].value);
		nv[i].valuelen = f[i].value_len;
	}
	return nv;
}

int quic_h3_request(struct quic_h3 *h, const struct quic_h3_field *f, size_t n, bool end,
		    int64_t *id)
{
	nghttp3_nv *nv;
	int r;

	if (!h->h || h->c->closed)
		return -EAGAIN;
	r = ngtcp2_conn_open_bidi_stream(h->c->conn, id, NULL);
	if (r == NGTCP2_ERR_STREAM_ID_BLOCKED)
		return -EAGAIN;
	if (r != 0)
		return -EINVAL;
	quic_stream_get(h->c, *id, true)->h3_end = end;
	nv = to_nv(f, n);
	r = nghttp3_conn_submit_request(h->h, *id, nv, n, end ? NULL : &reader, NULL);
	free(nv);
	if (r != 0)
		return -EINVAL;
	return quic_conn_flush(h->c);
}

int quic_h3_response(struct quic_h3 *h, int64_t id, const struct quic_h3_field *f, size_t n,
		     bool end)
{
	nghttp3_nv *nv = to_nv(f, n);
	bool info = n > 0 && f[0].value_len == 3 && f[0].value[0] == '1';
	int r;

	quic_stream_get(h->c, id, true)->h3_end = end;
	r = info ? nghttp3_conn_submit_info(h->h, id, nv, n)
		 : nghttp3_conn_submit_response(h->h, id, nv, n, end ? NULL : &reader);
	free(nv);
	if (r != 0)
		return -EINVAL;
	return quic_conn_flush(h->c);
}

long quic_h3_write(struct quic_h3 *h, int64_t id, const uint8_t *p, size_t n, bool end)
{
	struct qstream *s = quic_stream_get(h->c, id, false);
	size_t taken;

	if (!s || s->h3_end)
		return -EPIPE;
	taken = quic_stream_queue(s, p, n, end, &s->h3_end);
	nghttp3_conn_resume_stream(h->h, id);
	if (quic_conn_flush(h->c) < 0)
		return -ECONNRESET;
	return (long)taken;
}

int quic_h3_trailers(struct quic_h3 *h, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct qstream *s = quic_stream_get(h->c, id, false);
	nghttp3_nv *nv;
	int r;

	if (!s || s->h3_end)
		return -EPIPE;
	s->h3_end = s->h3_trailers = true;
	nv = to_nv(f, n);
	r = nghttp3_conn_submit_trailers(h->h, id, nv, n);
	free(nv);
	if (r != 0)
		return -EINVAL;
	nghttp3_conn_resume_stream(h->h, id);
	return quic_conn_flush(h->c);
}

int quic_h3_reset(struct quic_h3 *h, int64_t id, uint64_t code)
{
	return quic_stream_reset(h->c, id, code);
}
