/* Runs in the coordinator: WireGuard modes.  Loads (or creates) each key file
 * while it can still read the user's files, shows the client configuration,
 * and hands worker 0 the server keys it needs.  The client configuration
 * holds the client's private key: it goes to the terminal (with its QR
 * code) only when stdout is one; otherwise (a service manager's journal, a
 * log file) it goes to a 0600 file in the conf dir, created while we are
 * still privileged, and the log names that file.  The client's private key
 * is never sent to a worker. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "core/log.h"
#include "core/safefile.h"
#include "wireguard/wg.h"

#include <openssl/crypto.h>

/* When stdout is no terminal: <confdir>/wireguard-client[-N].conf, opened
 * now (0600, not through a symlink, not someone else's file) and written
 * once the port is known. */
static int wg_client_file_open(struct coord *co, struct coord_wg *w, size_t nth)
{
	const char *dir = co->cli->opts.confdir;
	char err[PATH_MAX + 200];
	int n;

	w->client_conf_fd = -1;
	if (isatty(STDOUT_FILENO))
		return 0;
	n = nth == 0 ? snprintf(w->client_conf_path, sizeof(w->client_conf_path),
				"%s/wireguard-client.conf", dir)
		     : snprintf(w->client_conf_path, sizeof(w->client_conf_path),
				"%s/wireguard-client-%zu.conf", dir, nth + 1);
	if (n < 0 || (size_t)n >= sizeof(w->client_conf_path)) {
		fprintf(stderr, "%s: %s: conf dir path too long\n", snare_progname, dir);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s: cannot create the conf dir: %s\n", snare_progname, dir,
			strerror(errno));
		return -1;
	}
	if (safefile_check_dir(dir, err, sizeof(err)) < 0 ||
	    (w->client_conf_fd =
		 safefile_open_write(w->client_conf_path, O_TRUNC, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s: %s\n", snare_progname, err);
		return -1;
	}
	return 0;
}

int coord_wireguard_load(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->cli->nmodes; i++) {
		const struct mode_spec *m = &co->cli->modes[i];
		struct wg_keys k;
		struct coord_wg *w;
		char path[4096], err[600];

		if (m->kind != MODE_WIREGUARD)
			continue;
		if (m->data && *m->data)
			snprintf(path, sizeof(path), "%s", m->data);
		else
			snprintf(path, sizeof(path), "%s/wireguard.conf", co->cli->opts.confdir);
		if (wg_keyfile_load(path, &k, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", snare_progname, err);
			return -1;
		}
		co->wg = xrealloc(co->wg, (co->nwg + 1) * sizeof(*co->wg));
		w = &co->wg[co->nwg++];
		w->mode_index = (unsigned)i;
		memcpy(w->server_priv, k.server_priv, 32);
		memcpy(w->server_pub, k.server_pub, 32);
		memcpy(w->client_priv, k.client_priv, 32);
		memcpy(w->client_pub, k.client_pub, 32);
		if (wg_client_file_open(co, w, co->nwg - 1) < 0)
			return -1;
	}
	return 0;
}

static uint16_t wg_port(struct coord *co, unsigned mode_index)
{
	size_t i;

	for (i = 0; i < co->nlisteners; i++)
		if (co->listeners[i].mode_index == mode_index)
			return addr_port(&co->listeners[i].addr.sa);
	return 0;
}

static void wg_client_file_write(struct coord_wg *w, const char *text)
{
	size_t len = text ? strlen(text) : 0, done = 0;

	while (done < len) {
		ssize_t n = write(w->client_conf_fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(w->client_conf_fd);
	w->client_conf_fd = -1;
	if (len == 0 || done < len)
		log_error("WireGuard client configuration: cannot write %s", w->client_conf_path);
	else
		log_info("WireGuard client configuration (with the client's private key) written "
			 "to %s; it is printed only when stdout is a terminal",
			 w->client_conf_path);
}

static void wg_keys_of(const struct coord_wg *w, struct wg_keys *k)
{
	memcpy(k->server_priv, w->server_priv, 32);
	memcpy(k->server_pub, w->server_pub, 32);
	memcpy(k->client_priv, w->client_priv, 32);
	memcpy(k->client_pub, w->client_pub, 32);
}

static void wg_endpoint(struct coord *co, size_t i, char host[WG_HOST_MAX], uint16_t *port)
{
	const struct mode_spec *m = &co->cli->modes[co->wg[i].mode_index];

	wg_endpoint_host(modespec_listen_host(m, co->cli->opts.listen_host), host);
	*port = wg_port(co, co->wg[i].mode_index);
}

char *coord_wireguard_text(struct coord *co, size_t i)
{
	struct wg_keys k;
	char host[WG_HOST_MAX], *text;
	uint16_t port;

	wg_keys_of(&co->wg[i], &k);
	wg_endpoint(co, i, host, &port);
	text = wg_clientconf_text(&k, host, port);
	OPENSSL_cleanse(&k, sizeof(k));
	return text;
}

void coord_wireguard_text_free(char *text)
{
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
}

void coord_wireguard_print(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nwg; i++) {
		struct wg_keys k;
		char host[WG_HOST_MAX], *text, *framed, *qr = NULL;
		uint16_t port;

		text = coord_wireguard_text(co, i);
		if (co->wg[i].client_conf_fd >= 0) {
			wg_client_file_write(&co->wg[i], text);
			coord_wireguard_text_free(text);
			continue;
		}
		wg_keys_of(&co->wg[i], &k);
		wg_endpoint(co, i, host, &port);
		framed = wg_clientconf_framed(&k, host, port);
		if (co->cli->opts.wireguard_qr && text)
			qr = wg_clientconf_qr(text);
		log_info("WireGuard server client configuration:\n%s%s", framed ? framed : "",
			 qr ? qr : "");
		OPENSSL_cleanse(&k, sizeof(k));
		coord_wireguard_text_free(text);
		free(framed);
		free(qr);
	}
}

/* TUN fds and every UDP socket are served by worker 0 alone: WireGuard
 * sessions and reverse udp:// conversations are state of one process, and
 * so are the per-source UDP reply limit and refusal log of the DNS modes,
 * which must see all of a source's datagrams to count them. */
bool coord_listener_single(const struct coord *co, const struct coord_listener *l)
{
	return l->packet || l->udp || co->cli->modes[l->mode_index].kind == MODE_WIREGUARD;
}

void coord_wireguard_fill(struct coord *co, Snare__WorkerConfig *cfg, unsigned worker_index)
{
	size_t i;

	if (worker_index != 0 || co->nwg == 0)
		return;
	cfg->wireguard = xcalloc(co->nwg, sizeof(*cfg->wireguard));
	for (i = 0; i < co->nwg; i++) {
		Snare__WireguardKeys *k = xmalloc(sizeof(*k));

		snare__wireguard_keys__init(k);
		k->has_mode_index = k->has_server_private = k->has_server_public = 1;
		k->has_client_public = 1;
		k->mode_index = co->wg[i].mode_index;
		k->server_private.data = co->wg[i].server_priv;
		k->server_private.len = 32;
		k->server_public.data = co->wg[i].server_pub;
		k->server_public.len = 32;
		k->client_public.data = co->wg[i].client_pub;
		k->client_public.len = 32;
		cfg->wireguard[i] = k;
	}
	cfg->n_wireguard = co->nwg;
}

void coord_wireguard_release(Snare__WorkerConfig *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_wireguard; i++)
		free(cfg->wireguard[i]);
	free(cfg->wireguard);
	cfg->wireguard = NULL;
	cfg->n_wireguard = 0;
}
