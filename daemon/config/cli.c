/* Runs in the coordinator at start-up.  Trusts nothing: argv is checked
 * flag by flag.  mitmdump's command line (snare(1), snare-modes(7)): one table row per
 * flag, most of them just setting an option; errors are one line from us. */
#include "config/cli.h"
#include "config/conffile.h"
#include "filter/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SNARE_VERSION
#define SNARE_VERSION "unknown"
#endif

#define CLI_MAX_MODES 256

struct cli_state {
	struct cli *c;
	int verbose;
	bool quiet, version, options, help;
};

typedef int (*cli_apply_fn)(struct cli_state *st, const char *arg, char *err, size_t errlen);

struct cli_flag {
	const char *lng;     /* without "--" */
	char shrt;	     /* 0: none */
	const char *metavar; /* NULL: takes no argument */
	const char *option;  /* sets this option ... */
	const char *fixed;   /* ... to this (switches) or to the argument */
	cli_apply_fn apply;  /* or does this */
	const char *help;    /* NULL: hidden */
};

static int mode_add(struct cli *c, const char *spec, char *err, size_t errlen)
{
	struct mode_spec m;
	int rc;

	if (c->nmodes >= CLI_MAX_MODES) {
		snprintf(err, errlen, "Too many proxy modes (at most %d).", CLI_MAX_MODES);
		return -EINVAL;
	}
	if ((rc = modespec_parse(spec, &m, err, errlen)) < 0)
		return rc;
	c->modes = xrealloc(c->modes, (c->nmodes + 1) * sizeof(*c->modes));
	c->modes[c->nmodes++] = m;
	return 0;
}

static void modes_clear(struct cli *c)
{
	size_t i;

	for (i = 0; i < c->nmodes; i++)
		modespec_free(&c->modes[i]);
	free(c->modes);
	c->modes = NULL;
	c->nmodes = 0;
}

static int apply_mode(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	return mode_add(st->c, arg, err, errlen);
}

/* --set name[=value]; "mode" is a list of specs in mitmproxy, kept apart here. */
static int apply_set(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "mode") == 0) {
		modes_clear(st->c);
		return 0;
	}
	if (strncmp(arg, "mode=", 5) == 0)
		return mode_add(st->c, arg + 5, err, errlen);
	return options_set(&st->c->opts, arg, err, errlen);
}

static int apply_quiet(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	st->quiet = true;
	return 0;
}

static int apply_verbose(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	if (st->verbose < 16)
		st->verbose++;
	return 0;
}

static int apply_options(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	st->options = true;
	return 0;
}

static int apply_version(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	st->version = true;
	return 0;
}

static int apply_help(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	st->help = true;
	return 0;
}

static void replace(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* -w [+]FILE: a leading '+' appends to the file. */
static int apply_wfile(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	st->c->wappend = arg[0] == '+';
	arg += st->c->wappend;
	if (arg[0] == '\0') {
		snprintf(err, errlen, "option -w requires a file name");
		return -EINVAL;
	}
	replace(&st->c->wfile, arg);
	return 0;
}

static int apply_rfile(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	replace(&st->c->rfile, arg);
	return 0;
}

static int apply_conf(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	replace(&st->c->conf, arg);
	return 0;
}

static int apply_role(struct cli_state *st, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "ca") != 0 && strcmp(arg, "worker") != 0) {
		snprintf(err, errlen, "invalid role: %s", arg);
		return -EINVAL;
	}
	replace(&st->c->role, arg);
	return 0;
}

static const struct cli_flag flags[] = {
    {"mode", 'm', "SPEC", NULL, NULL, apply_mode,
     "Mode to run, repeatable (see the list below; default: regular)."},
    {"listen-host", 0, "HOST", "listen_host", NULL, NULL,
     "Address to bind proxy servers to (default: all interfaces)."},
    {"listen-port", 'p', "PORT", "listen_port", NULL, NULL,
     "Port to bind proxy servers to (default: each mode's own)."},
    {"scripts", 's', "FILE", "scripts", NULL, NULL,
     "Load a Lua script, repeatable (snare-scripting(7))."},
    {"set", 0, "NAME[=VALUE]", NULL, NULL, apply_set, "Set an option, repeatable (see --options)."},
    {"options", 0, NULL, NULL, NULL, apply_options, "Show all options and their defaults."},
    {"quiet", 'q', NULL, NULL, NULL, apply_quiet, "Quiet: no flow output, errors only."},
    {"verbose", 'v', NULL, NULL, NULL, apply_verbose, "More log output (debug)."},
    {"flow-detail", 0, "LEVEL", "flow_detail", NULL, NULL, "Flow output detail, 0..4 (default 1)."},
    {"save-stream-file", 'w', "[+]FILE", NULL, NULL, apply_wfile,
     "Write flows to FILE; a leading + appends."},
    {"rfile", 'r', "FILE", NULL, NULL, apply_rfile, "Read flows from FILE."},
    {"client-replay", 'C', "PATH", "client_replay", NULL, NULL,
     "Replay client requests from a saved file, repeatable (snare-replay(7))."},
    {"server-replay", 'S', "PATH", "server_replay", NULL, NULL,
     "Replay server responses from a saved file, repeatable (snare-replay(7))."},
    {"no-server", 'n', NULL, "server", "false", NULL, "Do not start proxy servers."},
    {"server", 0, NULL, "server", "true", NULL, "Start proxy servers (the default)."},
    {"ssl-insecure", 'k', NULL, "ssl_insecure", "true", NULL,
     "Do not verify upstream server certificates."},
    {"showhost", 0, NULL, "showhost", "true", NULL, "Use the Host header to build displayed URLs."},
    {"proxyauth", 0, "SPEC", "proxyauth", NULL, NULL,
     "Require proxy authentication: user:pass, any or @htpasswd-file."},
    {"upstream-auth", 0, "USER:PASS", "upstream_auth", NULL, NULL,
     "Credentials for the upstream proxy or reverse target."},
    {"ignore-hosts", 0, "REGEX", "ignore_hosts", NULL, NULL,
     "Pass matching host:port through uninspected, repeatable."},
    {"allow-hosts", 0, "REGEX", "allow_hosts", NULL, NULL,
     "Inspect only matching host:port, repeatable."},
    {"tcp-hosts", 0, "REGEX", "tcp_hosts", NULL, NULL,
     "Relay matching hosts as raw TCP, repeatable."},
    {"conf", 0, "FILE", NULL, NULL, apply_conf, "Configuration file."},
    {"version", 0, NULL, NULL, NULL, apply_version, "Show the version and exit."},
    {"help", 'h', NULL, NULL, NULL, apply_help, "Show this help and exit."},
    {"role", 0, "ROLE", NULL, NULL, apply_role, NULL},
};

static const char *const mode_help[][2] = {
    {"regular", "HTTP(S) proxy (default port 8080)"},
    {"transparent", "transparent proxy for redirected traffic (8080)"},
    {"upstream:URL", "HTTP(S) proxy forwarding to the proxy at URL (8080)"},
    {"reverse:URL", "reverse proxy to URL, e.g. https://example.com (8080, dns: 53);"},
    {"", "UDP for udp://, dtls://, quic:// and http3:// (HTTP/3 both ways)"},
    {"socks5", "SOCKS v5 proxy (1080)"},
    {"dns", "DNS server (53)"},
    {"wireguard[:PATH]", "WireGuard server, keys in PATH (51820)"},
    {"local[:SPEC]", "capture local processes, e.g. local:curl or local:!firefox"},
    {"tun[:NAME]", "capture what is routed into a TUN interface"},
};

void cli_usage(FILE *out)
{
	char left[64];
	size_t i;

	fprintf(out, "usage: snare [options] [filter expression]\n\noptions:\n");
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		const struct cli_flag *f = &flags[i];

		if (f->help == NULL)
			continue;
		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", f->shrt ? '-' : ' ',
			 f->shrt ? f->shrt : ' ', f->shrt ? ", " : "  ", f->lng,
			 f->metavar ? " " : "", f->metavar ? f->metavar : "");
		fprintf(out, "  %-30s %s\n", left, f->help);
	}
	fprintf(out, "\nmodes (--mode NAME[:DATA][@[HOST:]PORT]):\n");
	for (i = 0; i < ARRAY_SIZE(mode_help); i++)
		fprintf(out, "  %-30s %s\n", mode_help[i][0], mode_help[i][1]);
}

static const struct cli_flag *flag_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (strlen(flags[i].lng) == len && strncmp(flags[i].lng, name, len) == 0)
			return &flags[i];
	return NULL;
}

static const struct cli_flag *flag_short(char c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i].shrt == c)
			return &flags[i];
	return NULL;
}

static int flag_apply(struct cli_state *st, const struct cli_flag *f, const char *arg, char *err,
		      size_t errlen)
{
	if (f->apply)
		return f->apply(st, arg, err, errlen);
	return options_set_kv(&st->c->opts, f->option, f->fixed ? f->fixed : arg, err, errlen);
}

/* One "--name", "--name=value" or "--name value"; *i moves past a value. */
static int parse_long(struct cli_state *st, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_flag *f = flag_long(name, len);
	const char *arg = eq ? eq + 1 : NULL;

	if (f == NULL) {
		snprintf(err, errlen, "unrecognized option: --%.*s", (int)len, name);
		return -EINVAL;
	}
	if (f->metavar == NULL && arg) {
		snprintf(err, errlen, "option --%s does not take an argument", f->lng);
		return -EINVAL;
	}
	if (f->metavar && arg == NULL) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "option --%s requires an argument", f->lng);
			return -EINVAL;
		}
		arg = argv[++*i];
	}
	return flag_apply(st, f, arg, err, errlen);
}

/* "-qv", "-p8080", "-p 8080". */
static int parse_short(struct cli_state *st, int argc, char **argv, int *i, char *err,
		       size_t errlen)
{
	const char *a = argv[*i], *arg;
	const struct cli_flag *f;
	int rc;

	for (a++; *a; a++) {
		if ((f = flag_short(*a)) == NULL) {
			snprintf(err, errlen, "unrecognized option: -%c", *a);
			return -EINVAL;
		}
		if (f->metavar == NULL) {
			if ((rc = flag_apply(st, f, NULL, err, errlen)) < 0)
				return rc;
			continue;
		}
		arg = a[1] ? a + 1 : NULL;
		if (arg == NULL && *i + 1 >= argc) {
			snprintf(err, errlen, "option -%c requires an argument", *a);
			return -EINVAL;
		}
		return flag_apply(st, f, arg ? arg : argv[++*i], err, errlen);
	}
	return 0;
}

/* A positional argument: one more word of the filter expression. */
static void filter_append(struct cli *c, const char *word)
{
	char *joined;

	if (c->filter == NULL) {
		c->filter = xstrdup(word);
		return;
	}
	joined = xasprintf("%s %s", c->filter, word);
	free(c->filter);
	c->filter = joined;
}

/* mitmdump: the expression filters what is printed, saved and read. */
static int apply_filter(struct cli *c, char *err, size_t errlen)
{
	static const char *const names[] = {"dumper_filter", "save_stream_filter",
					    "readfile_filter"};
	struct filter *f;
	char why[256];

	if (c->filter == NULL)
		return 0;
	if (filter_compile(c->filter, &f, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "Invalid filter expression: %s", why);
		return -EINVAL;
	}
	filter_free(f);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (options_set_kv(&c->opts, names[i], c->filter, err, errlen) < 0)
			return -EINVAL;
	return 0;
}

static int parse_args(struct cli_state *st, int argc, char **argv, char *err, size_t errlen)
{
	bool positional = false; /* after "--" */
	int i, rc = 0;

	for (i = 1; i < argc && rc == 0 && !st->help; i++) {
		const char *a = argv[i];

		if (positional)
			filter_append(st->c, a);
		else if (strcmp(a, "--") == 0)
			positional = true;
		else if (strncmp(a, "--", 2) == 0)
			rc = parse_long(st, argc, argv, &i, err, errlen);
		else if (a[0] == '-' && a[1])
			rc = parse_short(st, argc, argv, &i, err, errlen);
		else
			filter_append(st->c, a);
	}
	return rc;
}

/* What mitmdump does after parsing: -q and -v adjust the output options. */
static void apply_verbosity(struct cli_state *st)
{
	struct options *o = &st->c->opts;

	if (st->verbose == 0 && !st->quiet)
		return;
	st->c->verbosity = st->verbose ? st->verbose : -1;
	free(o->termlog_verbosity);
	o->termlog_verbosity = xstrdup(st->verbose ? "debug" : "error");
	o->flow_detail = st->verbose ? 2 : 0;
}

static int finish(struct cli_state *st, char *err, size_t errlen)
{
	struct cli *c = st->c;

	if (st->help || st->version || st->options) {
		if (st->help)
			cli_usage(stdout);
		else if (st->version)
			printf("snare %s\n", SNARE_VERSION);
		else {
			options_print(stdout);
			conffile_usage(stdout);
		}
		c->action = CLI_EXIT_OK;
		return 0;
	}
	apply_verbosity(st);
	if (apply_filter(c, err, errlen) < 0)
		return -EINVAL;
	if (c->nmodes == 0 && mode_add(c, "regular", err, errlen) < 0)
		fatal("cli: the default mode does not parse");
	return modespec_check_set(c->modes, c->nmodes, c->opts.listen_host, c->opts.listen_port,
				  err, errlen);
}

/* `snare-web` is snare with web=true (the command line may still say
 * otherwise). */
static void web_by_name(int argc, char **argv, struct options *o)
{
	const char *slash, *name;

	if (argc < 1 || argv[0] == NULL)
		return;
	slash = strrchr(argv[0], '/');
	name = slash ? slash + 1 : argv[0];
	if (strcmp(name, "snare-web") == 0)
		o->web = true;
}

/* The configuration file under the command line: load the file into a fresh
 * cli, replay argv over it, take the file's modes only if argv has none. */
static int apply_conffile(struct cli_state *st, int argc, char **argv, char *err, size_t errlen)
{
	struct cli nc = {.action = CLI_RUN};
	struct cli_state nst = {.c = &nc};
	struct strlist fmodes = {0};
	size_t i;
	int rc;

	options_init(&nc.opts);
	web_by_name(argc, argv, &nc.opts);
	rc = conffile_load_for_cli(st->c->conf, &st->c->opts, &nc.opts, &fmodes, err, errlen);
	if (rc <= 0)
		goto out; /* no file: the first parse stands */
	rc = parse_args(&nst, argc, argv, err, errlen);
	for (i = 0; rc == 0 && st->c->nmodes == 0 && i < fmodes.n; i++)
		rc = mode_add(&nc, fmodes.v[i], err, errlen);
	if (rc == 0) {
		cli_free(st->c);
		*st->c = nc;
		memset(&nc, 0, sizeof(nc));
		nst.c = st->c;
		*st = nst;
	}
out:
	cli_free(&nc);
	conffile_modes_free(&fmodes);
	return rc < 0 ? rc : 0;
}

int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen)
{
	struct cli_state st = {.c = out};
	int rc;

	memset(out, 0, sizeof(*out));
	options_init(&out->opts);
	web_by_name(argc, argv, &out->opts);
	out->action = CLI_RUN;
	rc = parse_args(&st, argc, argv, err, errlen);
	if (rc == 0 && !st.help && !st.version && !st.options && out->role == NULL)
		rc = apply_conffile(&st, argc, argv, err, errlen);
	if (rc == 0)
		rc = finish(&st, err, errlen);
	if (rc < 0) {
		cli_free(out);
		return -EINVAL;
	}
	return 0;
}

void cli_free(struct cli *c)
{
	modes_clear(c);
	options_free(&c->opts);
	free(c->wfile);
	free(c->rfile);
	free(c->role);
	free(c->conf);
	free(c->filter);
	memset(c, 0, sizeof(*c));
}
