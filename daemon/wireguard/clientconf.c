/* Runs in the coordinator at start-up. The client configuration a user copies into their
 * WireGuard app (mitmproxy's text, with ::/0 added to AllowedIPs), its terminal QR code
 * (libqrencode, drawn with half blocks) and the Endpoint host, which is never 0.0.0.0: routing
 * picks it with a connected UDP socket that sends nothing. Trusts its own key file. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qrencode.h>

#include "core/util.h"
#include "wireguard/wg_int.h"

#define QR_QUIET 2

char *wg_clientconf_text(const struct wg_keys *k, const char *host, uint16_t port)
{
	char priv[45], pub[45];
	bool v6 = strchr(host, ':') != NULL;

	wg_key_to_base64(k->client_priv, priv);
	wg_key_to_base64(k->server_pub, pub);
	return xasprintf("[Interface]\n"
			 "PrivateKey = %s\n"
			 "Address = 10.0.0.1/32, fd00:736e:6172::1/128\n"
			 "DNS = 10.0.0.53\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = %s\n"
			 "AllowedIPs = 0.0.0.0/0, ::/0\n"
			 "Endpoint = %s%s%s:%u",
			 priv, pub, v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port);
}

char *wg_clientconf_framed(const struct wg_keys *k, const char *host, uint16_t port)
{
	static const char rule[] = "------------------------------------------------------------";
	char *text = wg_clientconf_text(k, host, port);
	char *framed = xasprintf("%s\n%s\n%s", rule, text, rule);

	free(text);
	return framed;
}

/* Whether module (x, y) of the code, quiet zone included, is light. */
static bool qr_light(const QRcode *q, int x, int y)
{
	x -= QR_QUIET;
	y -= QR_QUIET;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return true;
	return !(q->data[y * q->width + x] & 1);
}

char *wg_clientconf_qr(const char *text)
{
	static const char *const glyph[4] = {" ", "\u2584", "\u2580", "\u2588"};
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	char *out, *p;
	int side;

	if (!q)
		return NULL;
	side = q->width + 2 * QR_QUIET;
	/* Each cell is at most 3 bytes of UTF-8; one newline per row of cells. */
	out = xmalloc((size_t)((side + 1) / 2) * ((size_t)side * 3 + 1) + 1);
	p = out;
	for (int y = 0; y < side; y += 2) {
		for (int x = 0; x < side; x++) {
			int cell =
			    qr_light(q, x, y) << 1 | (y + 1 < side ? qr_light(q, x, y + 1) : 0);
			size_t len = strlen(glyph[cell]);
			memcpy(p, glyph[cell], len);
			p += len;
		}
		*p++ = '\n';
	}
	*p = '\0';
	QRcode_free(q);
	return out;
}

/* The local address a connected UDP socket towards dst gets; 0 or -1. */
static int route_source(int family, const char *dst, char out[WG_HOST_MAX])
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	int fd, r = -1;

	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_port = htons(53);
		inet_pton(AF_INET, dst, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_port = htons(53);
		inet_pton(AF_INET6, dst, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		const void *a = family == AF_INET
				    ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
				    : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
		r = inet_ntop(family, a, out, WG_HOST_MAX) ? 0 : -1;
	}
	close(fd);
	return r;
}

void wg_endpoint_host(const char *listen_host, char out[WG_HOST_MAX])
{
	bool any = !listen_host || !*listen_host || strcmp(listen_host, "0.0.0.0") == 0 ||
		   strcmp(listen_host, "::") == 0;

	if (!any && strlen(listen_host) < WG_HOST_MAX) {
		strcpy(out, listen_host);
		return;
	}
	if (route_source(AF_INET, "8.8.8.8", out) == 0 && strcmp(out, "0.0.0.0") != 0)
		return;
	if (route_source(AF_INET6, "2001:4860:4860::8888", out) == 0 && strcmp(out, "::") != 0)
		return;
	strcpy(out, "127.0.0.1");
}
