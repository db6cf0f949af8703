/* Incremental chunked transfer-coding decoder (RFC 9112 7.1), run in workers
 * on peer bytes (untrusted).  It keeps a few counters, never buffers, and
 * stops exactly at the end of the body so pipelined bytes stay with the
 * caller.  Size lines, extensions and trailers are all bounded. */
#include "http1/http1_internal.h"

enum chunk_state {
	CH_SIZE,    /* hex digits of the chunk size */
	CH_SIZE_WS, /* BWS between the size and ';' */
	CH_EXT,	    /* chunk extensions, up to CR */
	CH_SIZE_LF, /* LF ending the size line */
	CH_DATA,    /* `remaining` payload bytes */
	CH_DATA_CR, /* CRLF after the payload */
	CH_DATA_LF,
	CH_TR_START, /* a trailer field, or the final CRLF */
	CH_TR_NAME,
	CH_TR_VALUE,
	CH_TR_LF,
	CH_FINAL_LF,
	CH_DONE,
	CH_ERROR,
};

void http1_chunked_init(struct http1_chunked *c)
{
	*c = (struct http1_chunked){.state = CH_SIZE};
}

static int hexval(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	b |= 0x20;
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	return -1;
}

/* A byte of the size itself; line_len is the number of digits before it. */
static int size_digit(struct http1_chunked *c, uint8_t b)
{
	int v = hexval(b);

	if (v >= 0) {
		if (c->line_len >= HTTP1_CHUNK_SIZE_DIGITS)
			return HTTP1_E_CHUNK;
		c->remaining = (c->remaining << 4) | (uint64_t)v;
		return HTTP1_OK;
	}
	if (c->line_len == 0)
		return HTTP1_E_CHUNK; /* no digit at all */
	if (b == ';')
		c->state = CH_EXT;
	else if (http1_is_ows(b))
		c->state = CH_SIZE_WS;
	else if (b == '\r')
		c->state = CH_SIZE_LF;
	else
		return HTTP1_E_CHUNK;
	return HTTP1_OK;
}

/* Only whitespace and then ';' may follow the digits before the CRLF. */
static int size_ws(struct http1_chunked *c, uint8_t b)
{
	if (b == ';')
		c->state = CH_EXT;
	else if (!http1_is_ows(b))
		return HTTP1_E_CHUNK;
	return HTTP1_OK;
}

static int size_line_end(struct http1_chunked *c, uint8_t b)
{
	if (b != '\n')
		return HTTP1_E_CHUNK;
	c->line_len = 0;
	c->state = c->remaining ? CH_DATA : CH_TR_START;
	return HTTP1_OK;
}

/* The size line: 1*16HEXDIG [BWS ";" ext] CRLF, with at most LINE_MAX bytes
 * before its CRLF. */
static int size_line(struct http1_chunked *c, uint8_t b)
{
	int rc = HTTP1_OK;

	if (c->state == CH_SIZE_LF)
		return size_line_end(c, b);
	if (b != '\r' && c->line_len >= HTTP1_CHUNK_LINE_MAX)
		return HTTP1_E_CHUNK;
	if (c->state == CH_SIZE)
		rc = size_digit(c, b);
	else if (c->state == CH_SIZE_WS)
		rc = size_ws(c, b);
	else if (b == '\r')
		c->state = CH_SIZE_LF;
	else if (http1_is_bad_ctl(b))
		rc = HTTP1_E_CHUNK;
	c->line_len++;
	return rc;
}

static int trailer_start(struct http1_chunked *c, uint8_t b)
{
	if (b == '\r') {
		c->state = CH_FINAL_LF;
		return HTTP1_OK;
	}
	if (!http1_is_tchar(b) || ++c->trailer_count > HTTP1_TRAILER_MAX_COUNT)
		return HTTP1_E_CHUNK;
	c->state = CH_TR_NAME;
	return HTTP1_OK;
}

/* Trailer fields follow the header-line rules; all bytes after the last
 * chunk's size line count against HTTP1_TRAILER_MAX_BYTES. */
static int trailer(struct http1_chunked *c, uint8_t b)
{
	if (++c->trailer_bytes > HTTP1_TRAILER_MAX_BYTES)
		return HTTP1_E_CHUNK;
	switch (c->state) {
	case CH_TR_START:
		return trailer_start(c, b);
	case CH_TR_NAME:
		if (b == ':')
			c->state = CH_TR_VALUE;
		else if (!http1_is_tchar(b))
			return HTTP1_E_CHUNK;
		return HTTP1_OK;
	case CH_TR_VALUE:
		if (b == '\r')
			c->state = CH_TR_LF;
		else if (http1_is_bad_ctl(b))
			return HTTP1_E_CHUNK;
		return HTTP1_OK;
	case CH_TR_LF:
		c->state = CH_TR_START;
		return b == '\n' ? HTTP1_OK : HTTP1_E_CHUNK;
	default: /* CH_FINAL_LF */
		if (b != '\n')
			return HTTP1_E_CHUNK;
		c->state = CH_DONE;
		c->done = true;
		return HTTP1_OK;
	}
}

static int step(struct http1_chunked *c, uint8_t b)
{
	switch (c->state) {
	case CH_SIZE:
	case CH_SIZE_WS:
	case CH_EXT:
	case CH_SIZE_LF:
		return size_line(c, b);
	case CH_DATA_CR:
		c->state = CH_DATA_LF;
		return b == '\r' ? HTTP1_OK : HTTP1_E_CHUNK;
	case CH_DATA_LF:
		c->state = CH_SIZE;
		return b == '\n' ? HTTP1_OK : HTTP1_E_CHUNK;
	case CH_TR_START:
	case CH_TR_NAME:
	case CH_TR_VALUE:
	case CH_TR_LF:
	case CH_FINAL_LF:
		return trailer(c, b);
	default:
		return HTTP1_E_CHUNK;
	}
}

/* Hands up to `remaining` payload bytes to on_data at once. */
static size_t data(struct http1_chunked *c, const uint8_t *p, size_t n,
		   void (*on_data)(void *arg, const uint8_t *d, size_t n), void *arg)
{
	size_t take = c->remaining < n ? (size_t)c->remaining : n;

	if (on_data && take)
		on_data(arg, p, take);
	c->remaining -= take;
	if (c->remaining == 0)
		c->state = CH_DATA_CR;
	return take;
}

int http1_chunked_feed(struct http1_chunked *c, const uint8_t *p, size_t n, size_t *consumed,
		       void (*on_data)(void *arg, const uint8_t *d, size_t n), void *arg)
{
	size_t i = 0;
	int rc = HTTP1_OK;

	if (c->state == CH_ERROR)
		rc = HTTP1_E_CHUNK;
	while (rc == HTTP1_OK && i < n && c->state != CH_DONE) {
		if (c->state == CH_DATA) {
			i += data(c, p + i, n - i, on_data, arg);
			continue;
		}
		rc = step(c, p[i]);
		if (rc != HTTP1_OK)
			c->state = CH_ERROR;
		else
			i++;
	}
	*consumed = i;
	return rc;
}
