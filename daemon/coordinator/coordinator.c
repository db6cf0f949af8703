/* The coordinator's lifecycle, top to bottom: read flows (-r), open the flow
 * file and the listeners while still privileged, start the spawner and have
 * it start the ca, drop privileges and enter the sandbox (which allows no
 * fork, exec or path lookups), have the spawner start the workers, run, stop
 * cleanly. */
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "coordinator/coordinator.h"
#include "coordinator/coord.h"
#include "coordinator/intercept_route.h"
#include "core/log.h"
#include "core/safefile.h"
#include "sandbox.h"

#define STOP_GRACE_MS 1500

/* What SIGHUP means, decided once at start: see hangup_stops_snare(). */
static bool hangup_stops;

/* What this version can run; NULL when available, else why not. */
static const char *mode_unavailable(const struct mode_spec *m)
{
	switch (m->kind) {
	case MODE_REGULAR:
	case MODE_SOCKS5:
	case MODE_TRANSPARENT:
	case MODE_DNS:
	case MODE_TUN:
	case MODE_WIREGUARD:
	case MODE_LOCAL:
		return NULL;
	case MODE_UPSTREAM:
		return NULL;
	case MODE_REVERSE:
		if (modespec_scheme(m->server.scheme)->reverse_ok)
			return NULL;
		return "this reverse scheme is not available yet";
	default:
		return "this mode is not available yet";
	}
}

static int check_modes(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->cli->nmodes; i++) {
		const struct mode_spec *m = &co->cli->modes[i];
		const char *why = mode_unavailable(m);

		if (why) {
			fprintf(stderr, "%s: %s: %s in this version of snare\n", snare_progname,
				m->full, why);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Options the workers would only discover at start-up are checked here, so a
 * bad value is one line and exit 1 instead of a crash loop. */
static int check_patterns(const char *name, const struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		regex_t re;
		int r = regcomp(&re, l->v[i], REG_EXTENDED | REG_ICASE | REG_NOSUB);
		char msg[128];

		if (r == 0) {
			regfree(&re);
			continue;
		}
		regerror(r, &re, msg, sizeof(msg));
		fprintf(stderr, "%s: Invalid value for %s: %s (%s)\n", snare_progname, name,
			l->v[i], msg);
		return -EINVAL;
	}
	return 0;
}

static int check_name_servers(const struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		char host[INET6_ADDRSTRLEN + 8], *colon;
		union sockaddr_any a;
		long port = 53;

		snprintf(host, sizeof(host), "%s", l->v[i]);
		colon = strrchr(host, ':');
		if (colon && strchr(host, '.') && colon == strchr(host, ':')) {
			*colon = '\0';
			port = strtol(colon + 1, NULL, 10);
		}
		if (addr_parse_ip(host, 53, &a) < 0 || port < 1 || port > 65535) {
			fprintf(stderr,
				"%s: Invalid value for dns_name_servers: %s (expected an IP "
				"address, optionally with :port)\n",
				snare_progname, l->v[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_options(const struct options *o)
{
	if (check_patterns("ignore_hosts", &o->ignore_hosts) < 0 ||
	    check_patterns("allow_hosts", &o->allow_hosts) < 0 ||
	    check_patterns("tcp_hosts", &o->tcp_hosts) < 0 ||
	    check_name_servers(&o->dns_name_servers) < 0)
		return -EINVAL;
	return 0;
}

static void read_flow(const Snare__Flow *f, void *arg)
{
	struct coord *co = arg;

	if (flowout_reads(&co->out, f))
		coord_output(co, f);
}

static int read_flows(struct coord *co)
{
	char err[512];

	if (flowfile_read(co->cli->rfile, read_flow, co, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", snare_progname, err);
		return -EINVAL;
	}
	fflush(stdout);
	return 0;
}

static void replace_fd(int *fd, int with)
{
	if (*fd >= 0)
		close(*fd);
	*fd = with;
}

/* The new options from the spawner's name=value pairs, checked as at start. */
static int reload_options(const Snare__ReloadResult *r, struct options *o, char *err, size_t errlen)
{
	size_t i;

	options_init(o);
	for (i = 0; i < r->n_options; i++)
		if (options_set_kv(o, r->options[i]->key, r->options[i]->value, err, errlen) < 0)
			goto fail;
	if (check_options(o) == 0)
		return 0;
	snprintf(err, errlen, "invalid options");
fail:
	options_free(o);
	return -EINVAL;
}

/* The files arrive exactly for the options that name them. */
static int reload_files(const Snare__ReloadResult *r, const struct options *o, struct ipc_frame *f,
			int *trust, int *htpasswd)
{
	size_t i = 0;

	*trust = *htpasswd = -1;
	if ((r->fd_slots & 1) != (coord_trust_path(o) != NULL) ||
	    ((r->fd_slots >> 1) & 1) != (coord_htpasswd_path(o) != NULL))
		return -EINVAL;
	if (r->fd_slots & 1)
		*trust = ipc_frame_take_fd(f, i++);
	if (r->fd_slots & 2)
		*htpasswd = ipc_frame_take_fd(f, i++);
	return 0;
}

static bool modes_equal(const struct cli *a, const Snare__ReloadResult *r)
{
	size_t i;

	if (a->nmodes != r->n_modes)
		return false;
	for (i = 0; i < a->nmodes; i++)
		if (strcmp(a->modes[i].full, r->modes[i]) != 0)
			return false;
	return true;
}

/* SIGHUP: the spawner parses the command line and the configuration file
 * again and opens the files its options name (the coordinator may open
 * nothing); on any error the old ones stay.  Options take effect by
 * restarting the workers one by one; listeners (modes) need a restart. */
void coord_on_reload_result(struct coord *co, const Snare__ReloadResult *r, struct ipc_frame *f)
{
	int trust = -1, htpasswd = -1;
	struct options o;
	char err[512];

	if (r->error != NULL) {
		log_error("reload failed: %s; keeping the current configuration", r->error);
		return;
	}
	if (reload_options(r, &o, err, sizeof(err)) < 0) {
		log_error("reload failed: %s; keeping the current configuration", err);
		return;
	}
	if (reload_files(r, &o, f, &trust, &htpasswd) < 0) {
		log_error("reload failed: the spawner sent the wrong files; keeping the current "
			  "configuration");
		options_free(&o);
		return;
	}
	replace_fd(&co->trust_fd, trust);
	replace_fd(&co->htpasswd_fd, htpasswd);
	coord_scripts_replace(co, r->files, r->n_files);
	if (!modes_equal(co->cli, r))
		log_warn("reload: mode changes take effect after a restart; keeping the current "
			 "modes");
	options_free(&co->cli->opts);
	co->cli->opts = o;
	co->dump.flow_detail = co->cli->opts.flow_detail;
	co->dump.showhost = co->cli->opts.showhost;
	if (flowout_set_filters(&co->out, &co->cli->opts, err, sizeof(err)) < 0)
		log_warn("reload: %s; keeping the current filters", err);
	log_info("configuration reloaded; restarting the workers");
	coord_hold_reloaded(co);
	coord_restart_workers(co);
}

static void coord_reload(struct coord *co)
{
	int err = coord_spawner_reload(co);

	if (err == -EBUSY)
		log_warn("reload: the previous one is still running");
	else if (err < 0)
		log_error("reload failed: %s; keeping the current configuration", strerror(-err));
}

void coord_begin_stop(struct coord *co, int exit_code)
{
	if (exit_code != 0)
		co->exit_code = exit_code;
	if (co->stopping)
		return;
	co->stopping = true;
	coord_listen_close(co);
	coord_shutdown_children(co);
	if (coord_children_gone(co)) {
		loop_stop(co->loop);
		return;
	}
	loop_timer_arm(co->loop, &co->stop_timer, STOP_GRACE_MS);
}

#ifdef SNARE_TEST_HOOKS
/* Test builds only (SIGUSR1): the coordinator tries to execute a program,
 * which its filter must answer with SIGSYS. */
static void coord_test_execve(struct coord *co)
{
	char *argv[] = {(char *)"snare", (char *)"--version", NULL};

	execv(co->self_exe, argv);
	log_error("coordinator: a forbidden syscall was allowed (execve: %s)", strerror(errno));
}
#endif

static void on_signal(struct loop_io *io, uint32_t events)
{
	struct coord *co = io->arg;
	struct signalfd_siginfo si;

	while (read(co->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* the spawner reports its children; helpers are reaped at exit */
#ifdef SNARE_TEST_HOOKS
		if (si.ssi_signo == SIGUSR2) {
			coord_test_trigger(co);
			continue;
		}
		if (si.ssi_signo == SIGUSR1) {
			coord_test_execve(co);
			continue;
		}
#endif
		if (co->stopping)
			continue;
		if (si.ssi_signo == SIGHUP && !hangup_stops) {
			coord_reload(co);
			continue;
		}
		if (si.ssi_signo == SIGHUP)
			log_info("SIGHUP (a terminal hangup): stopping");
		coord_begin_stop(co, 0);
	}
}

static void on_stop_timeout(struct loop_timer *t)
{
	struct coord *co = t->arg;

	coord_kill_children(co);
	loop_stop(co->loop);
}

/* In the foreground of a terminal a hangup means the terminal is gone and
 * snare stops, as on SIGTERM (helpers undo); a service keeps SIGHUP as the
 * reload signal.  "A terminal": snare has a controlling terminal and its
 * stdin or stderr is one (so `snare &` from a shell counts, a test harness
 * or `setsid snare </dev/null` does not).  A SIGHUP already ignored at start
 * (nohup) is never a reason to stop. */
static bool hangup_stops_snare(void)
{
	struct sigaction old;
	int fd;

	if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		return false;
	if (!isatty(STDIN_FILENO) && !isatty(STDERR_FILENO))
		return false;
	fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int setup_signals(struct coord *co)
{
	sigset_t set;

	hangup_stops = hangup_stops_snare();
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
#ifdef SNARE_TEST_HOOKS
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGUSR1);
#endif
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	co->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (co->sigfd < 0)
		return -errno;
	loop_io_init(&co->sigio, co->sigfd, on_signal, co);
	loop_timer_init(&co->stop_timer, on_stop_timeout, co);
	return loop_io_set(co->loop, &co->sigio, EPOLLIN);
}

/* SSLKEYLOGFILE (or SNARE_SSLKEYLOGFILE) is opened here, while we may still
 * be root, and handed to every worker as fd 5: appended to, never through a
 * symlink, created 0600, refused when it is someone else's (safefile.c). */
static void open_keylog(struct coord *co)
{
	const char *path = getenv("SNARE_SSLKEYLOGFILE");
	char err[PATH_MAX + 200];

	if (path == NULL)
		path = getenv("SSLKEYLOGFILE");
	co->keylog_fd = -1;
	if (path == NULL || *path == '\0')
		return;
	co->keylog_fd = safefile_open_write(path, O_APPEND, err, sizeof(err));
	if (co->keylog_fd < 0)
		log_warn("not writing the TLS key log: %s", err);
}

static int open_output(struct coord *co)
{
	struct winsize ws;
	char err[512];

	co->dump.flow_detail = co->cli->opts.flow_detail;
	co->dump.showhost = co->cli->opts.showhost;
	co->dump.term_width = 0;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		co->dump.term_width = ws.ws_col;
	open_keylog(co);
	coord_hold_check_start(co);
	if (flowout_init(&co->out, &co->cli->opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", snare_progname, err);
		return -EINVAL;
	}
	if (coord_open_option_files(&co->cli->opts, &co->trust_fd, &co->htpasswd_fd, err,
				    sizeof(err)) < 0 ||
	    coord_scripts_load(co, err, sizeof(err)) < 0 ||
	    coord_replay_load(co, err, sizeof(err)) < 0) {
		coord_scripts_free(co);
		fprintf(stderr, "%s: %s\n", snare_progname, err);
		return -EINVAL;
	}
	if (co->cli->wfile == NULL)
		return 0;
	if (flowfile_open(co->cli->wfile, co->cli->wappend, &co->ff, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", snare_progname, err);
		return -EINVAL;
	}
	return 0;
}

static int drop_privileges(struct coord *co)
{
	const struct sandbox_plan plan = {.role = SANDBOX_COORDINATOR, .user = co->cli->opts.user};
	char err[512];
	int rc = sandbox_startup(&plan, err, sizeof(err));

	if (rc < 0)
		log_error("%s", err);
	return rc;
}

static int spawn_workers(struct coord *co)
{
	long n = co->cli->opts.workers > 0 ? co->cli->opts.workers : sysconf(_SC_NPROCESSORS_ONLN);
	size_t i;

	if (n < 1)
		n = 1;
	co->nworkers = (size_t)n;
	co->workers = xcalloc(co->nworkers, sizeof(*co->workers));
	for (i = 0; i < co->nworkers; i++) {
		co->workers[i].index = (unsigned)i;
		co->workers[i].ca_peer_fd = -1;
		loop_timer_init(&co->workers[i].respawn, NULL, &co->workers[i]);
		if (coord_spawn_worker(co, &co->workers[i]) < 0) {
			log_err(LOG_LVL_ERROR, -errno, "cannot start worker %zu", i);
			return -1;
		}
	}
	return 0;
}

/* Without proxy servers (-n) only the web interface runs: no listeners,
 * helpers or workers. */
static int coord_start(struct coord *co)
{
	ssize_t n = readlink("/proc/self/exe", co->self_exe, sizeof(co->self_exe) - 1);
	bool proxies = co->cli->opts.server;

	if (n <= 0)
		return -errno;
	co->self_exe[n] = '\0';
	co->loop = loop_new();
	if (co->loop == NULL || setup_signals(co) < 0 || coord_scripts_watch(co) < 0)
		return -1;
	if (proxies && coord_wireguard_load(co) < 0)
		return -1;
	if ((proxies && coord_listen_all(co) < 0) || coord_web_open(co) < 0 ||
	    (proxies && (coord_open_packet_modes(co) < 0 || coord_netfilter_rules(co) < 0))) {
		log_error("Error logged during startup, exiting...");
		return -1;
	}
	co->ca.ca_peer_fd = -1;
	/* The spawner starts privileged: it starts the ca as today (which reads or
	 * creates its files, then drops), then drops to the user and enters its
	 * own sandbox before it serves anything else. */
	if (coord_spawner_start(co) < 0) {
		log_error("cannot start the spawner process");
		return -1;
	}
	if (coord_spawn_ca(co) < 0) {
		log_error("cannot start the ca process");
		return -1;
	}
	/* client_replay needs a worker even without proxy servers (-n) */
	if (drop_privileges(co) < 0 ||
	    ((proxies || co->cli->opts.client_replay.n > 0) && spawn_workers(co) < 0))
		return -1;
	if (coord_web_start(co) < 0) {
		log_error("cannot start the web interface process");
		return -1;
	}
	coord_web_install_log(co);
	if (proxies)
		coord_print_listening(co, false);
	coord_web_print(co);
	coord_wireguard_print(co);
	return 0;
}

static void coord_finish(struct coord *co)
{
	size_t i;

	coord_kill_children(co);
	coord_spawner_stop(co);
	coord_listen_close(co);
	coord_scripts_free(co);
	coord_replay_free(co);
	coord_close_helpers(co);
	if (co->ca.chan_open)
		ipc_chan_close(&co->ca.chan);
	if (co->ui.chan_open)
		ipc_chan_close(&co->ui.chan);
	coord_web_close(co);
	log_set_sink(NULL);
	for (i = 0; i < co->nworkers; i++)
		if (co->workers[i].chan_open)
			ipc_chan_close(&co->workers[i].chan);
	if (co->ff)
		flowfile_close(co->ff);
	free(co->workers);
	free(co->listeners);
	free(co->wg);
	fd_close(&co->sigfd);
	fd_close(&co->keylog_fd);
	fd_close(&co->trust_fd);
	fd_close(&co->htpasswd_fd);
	fd_close(&co->procmap_fd);
	loop_free(co->loop);
}

/* The hardump file, written on exit (mitmproxy's hardump); 0 or 1. */
static int finish_output(struct coord *co)
{
	char err[512];
	int rc = flowout_finish(&co->out, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "%s: %s\n", snare_progname, err);
	flowout_free(&co->out);
	return rc < 0 ? 1 : 0;
}

int coordinator_main(struct cli *cli, int argc, char **argv)
{
	struct coord co = {.cli = cli,
			   .sigfd = -1,
			   .keylog_fd = -1,
			   .trust_fd = -1,
			   .htpasswd_fd = -1,
			   .procmap_fd = -1,
			   .spawner_pid = -1,
			   .web = {.listen_fd = -1, .spill_fd = -1, .rfile_fd = -1},
			   .argc = argc,
			   .argv = argv};

	if (cli->verbosity < 0)
		log_set_level(LOG_LVL_WARN);
	else if (cli->verbosity > 0)
		log_set_level(LOG_LVL_DEBUG);
	if (open_output(&co) < 0)
		return 1;
	/* With the web interface the ui loads the file into the page instead. */
	if (cli->rfile && !cli->opts.web && read_flows(&co) < 0)
		return 1;
	if (!cli->opts.server && !cli->opts.web && cli->opts.client_replay.n == 0) {
		coord_scripts_free(&co);
		coord_replay_free(&co);
		if (co.ff)
			flowfile_close(co.ff);
		return finish_output(&co);
	}
	if (check_modes(&co) < 0 || check_options(&cli->opts) < 0)
		return 1;
	if (coord_start(&co) < 0) {
		coord_finish(&co);
		return 1;
	}
	loop_run(co.loop);
	if (co.stopping && cli->opts.server)
		coord_print_listening(&co, true);
	if (finish_output(&co) != 0)
		co.exit_code = 1;
	coord_finish(&co);
	return co.exit_code;
}
