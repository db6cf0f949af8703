/* Runs in the ui: a QR code as SVG for the WireGuard page (libqrencode, as
 * the terminal's code in daemon/wireguard/clientconf.c).  The text is the
 * client configuration the coordinator built. */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define QR_QUIET 4

char *ui_qr_svg(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	size_t cap, len;
	char *out;
	int x, y, w;

	if (q == NULL)
		return NULL;
	w = q->width + 2 * QR_QUIET;
	cap = 256 + (size_t)q->width * (size_t)q->width * 24;
	out = xmalloc(cap);
	len = (size_t)snprintf(out, cap,
			       "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
			       "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
			       "fill=\"#fff\"/><path fill=\"#000\" d=\"",
			       w, w, w, w);
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++)
			if (q->data[y * q->width + x] & 1)
				len += (size_t)snprintf(out + len, cap - len, "M%d %dh1v1h-1z",
							x + QR_QUIET, y + QR_QUIET);
	snprintf(out + len, cap - len, "\"/></svg>");
	QRcode_free(q);
	return out;
}
