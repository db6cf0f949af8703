/* h2echo: command line.
 *   h2echo server [--tls CERT KEY] PORT   (0: a free port, named in the "listening" line)
 *   h2echo client [--tls] [--ca FILE] [-n N] [--post BYTES] [--trailers] [--reset]
 *          HOST PORT PATH */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2echo.h"

static int usage(void)
{
	fprintf(stderr, "usage: h2echo server [--tls CERT KEY] PORT\n"
			"       h2echo client [--tls] [--ca FILE] [-n N] [--post BYTES] "
			"[--trailers] [--reset] HOST PORT PATH\n");
	return 2;
}

static int server_main(int argc, char **argv)
{
	SSL_CTX *tls = NULL;
	int i = 1;

	if (argc > 3 && strcmp(argv[1], "--tls") == 0) {
		tls = tls_server_ctx(argv[2], argv[3]);
		if (!tls)
			return 1;
		i = 4;
	}
	if (i != argc - 1)
		return usage();
	return run_server(atoi(argv[i]), tls);
}

static int client_main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"tls", no_argument, 0, 't'},	 {"ca", required_argument, 0, 'c'},
	    {"post", required_argument, 0, 'p'}, {"trailers", no_argument, 0, 'T'},
	    {"reset", no_argument, 0, 'R'},	 {0, 0, 0, 0}};
	struct client_opts o = {.requests = 1};
	const char *ca = NULL;
	bool use_tls = false;
	SSL_CTX *tls = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
		switch (ch) {
		case 't':
			use_tls = true;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'p':
			o.post_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'T':
			o.trailers = true;
			break;
		case 'R':
			o.reset = true;
			break;
		case 'n':
			o.requests = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 3)
		return usage();
	o.host = argv[optind];
	o.port = argv[optind + 1];
	o.path = argv[optind + 2];
	o.authority = o.host;
	if (use_tls && !(tls = tls_client_ctx(ca)))
		return 1;
	ch = run_client(&o, tls);
	SSL_CTX_free(tls);
	return ch;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "server") == 0)
		return server_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "client") == 0)
		return client_main(argc - 1, argv + 1);
	return usage();
}
