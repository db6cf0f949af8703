/* Coordinator internals shared by its files: the listener table, the child
 * table (ca and workers) and the output state.  Runs in the coordinator. */
#ifndef SNARE_COORDINATOR_COORD_H
#define SNARE_COORDINATOR_COORD_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config/cli.h"
#include "core/addr.h"
#include "core/loop.h"
#include "ipc/ipc.h"
#include "output/dump.h"
#include "output/flowfile.h"
#include "output/flowout.h"
#include "intercept/intercept_proto.h"
#include "privsep/privsep.h"

struct coord_listener {
	int fd;
	unsigned mode_index;
	bool udp;
	bool packet; /* a TUN fd from a privileged helper */
	union sockaddr_any addr;
};

enum child_kind { CHILD_CA, CHILD_WORKER, CHILD_UI };

struct coord_wg {
	unsigned mode_index;
	uint8_t server_priv[32], server_pub[32], client_priv[32], client_pub[32];
	int client_conf_fd; /* -1: the client configuration goes to the terminal */
	char client_conf_path[PATH_MAX];
};

/* The web interface (web.c): what the coordinator opened for the ui, and
 * the views it could not give it. */
struct coord_web {
	int listen_fd, spill_fd, rfile_fd;
	bool loopback;
	unsigned port; /* as bound (web_port 0 picks one) */
	bool rfile;    /* the ui loads a flow file (-r) */
	char token[65];
	char *static_dir;
	struct coord_web_line {
		unsigned level;
		char *client, *text;
	} early[32]; /* log lines from before the ui was ready (start-up) */
	size_t nearly;
	uint64_t dropped;  /* flows and log lines not sent: the ui was congested */
	uint64_t reported; /* the count the ui has heard */
};

struct coord;
struct coord_child {
	struct coord *co;
	enum child_kind kind;
	unsigned index;
	pid_t pid;
	struct ipc_chan chan;
	bool chan_open;
	int ca_peer_fd; /* worker: the ca's end of its channel, until attached */
	unsigned restarts;
	bool reloading; /* asked to stop by a reload: restart at once */
	bool spawning;	/* asked the spawner for it; no pid yet */
	bool respawned; /* a replacement: say so once it has a pid */
	uint64_t started_ms;
	struct loop_timer respawn;
};

struct coord {
	struct cli *cli;
	struct loop *loop;
	char self_exe[PATH_MAX];
	struct coord_listener *listeners;
	size_t nlisteners;
	struct coord_child ca;
	struct coord_child *workers;
	size_t nworkers;
	int sigfd;
	struct loop_io sigio;
	struct flowfile *ff;
	int keylog_fd;	 /* SSLKEYLOGFILE, opened before dropping privileges */
	int trust_fd;	 /* ssl_verify_upstream_trusted_ca, likewise (fd 6 in workers) */
	int htpasswd_fd; /* proxyauth @file, likewise (fd 7) */
	struct dump_opts dump;
	struct flowout out; /* the output filters and the hardump file */
	bool stopping;
	struct loop_timer stop_timer;
	int exit_code;
	int argc;
	char **argv;
	struct privsep_helper *tun_helper;
	struct privsep_helper *nf_helper;
	struct privsep_helper *redir_helper; /* local mode */
	struct intercept_client redir;
	const char *local_spec;
	int procmap_fd;	     /* local mode: connection -> process map (fd 8 in workers) */
	struct coord_wg *wg; /* one per wireguard mode */
	size_t nwg;
	pid_t spawner_pid; /* forks, executes and reaps the ca and workers */
	struct ipc_chan spawner;
	bool spawner_open;
	bool reload_pending;
	struct coord_child ui; /* the web interface, when web is on */
	struct coord_web web;
	struct coord_scripts *scripts; /* scripts.c: script and rewrite files */
	struct coord_replay *replay;   /* replayfiles.c: server and client replay */
};

/* listen.c */
int coord_listen_all(struct coord *co);
/* One listening socket (non-blocking, close-on-exec) on a, and the address of
 * a host and port ("" = every address). */
int coord_listen_socket(const union sockaddr_any *a, bool udp, int *out);
int coord_listen_resolve(const char *host, int port, union sockaddr_any *out);
/* Appends a zeroed listener for fd, serving mode mode_index. */
struct coord_listener *coord_listener_add(struct coord *co, int fd, unsigned mode_index);
void coord_listen_close(struct coord *co);
void coord_print_listening(struct coord *co, bool stopped);

/* children.c */
int coord_spawn_ca(struct coord *co);
/* c's channel (its kind says which); *theirs is the child's end. */
int coord_child_channel(struct coord *co, struct coord_child *c, int *theirs);
int coord_spawn_worker(struct coord *co, struct coord_child *w);
/* The spawner's answers: a pid (or an error) for a request, an exit. */
void coord_child_spawned(struct coord *co, const Snare__ChildSpawned *m);
void coord_child_exited(struct coord *co, pid_t pid, int status);
/* Every child is gone with the spawner (their parent). */
void coord_children_lost(struct coord *co);
void coord_shutdown_children(struct coord *co);
bool coord_children_gone(const struct coord *co);
void coord_kill_children(struct coord *co);
void coord_test_trigger(struct coord *co);
/* Asks every worker to stop; each is started again with the current options. */
void coord_restart_workers(struct coord *co);

/* packet_modes.c: TUN devices from the snare-tun helper */
int coord_open_packet_modes(struct coord *co);
int coord_local_update(struct coord *co);
/* wireguard.c: key files, the keys for workers, the client configuration */
int coord_wireguard_load(struct coord *co);
void coord_wireguard_print(struct coord *co);
void coord_wireguard_fill(struct coord *co, Snare__WorkerConfig *cfg, unsigned worker_index);
void coord_wireguard_release(Snare__WorkerConfig *cfg);
/* The client configuration of the i-th wireguard mode, for the web interface;
 * free with coord_wireguard_text_free (it holds the client's private key). */
char *coord_wireguard_text(struct coord *co, size_t i);
void coord_wireguard_text_free(char *text);
/* Listeners served by worker 0 only (TUN fds and every UDP socket). */
bool coord_listener_single(const struct coord *co, const struct coord_listener *l);
void coord_close_helpers(struct coord *co);

/* netfilter.c: privileged ports and transparent redirects via snare-netfilter */
int coord_bind_privileged(struct coord *co, const union sockaddr_any *a, bool udp, int *fd);
int coord_netfilter_rules(struct coord *co);

/* exec.c: fork, fds[i] at fd 3 + i, execute exe in a role.  The pid or -1. */
#define COORD_EXEC_MAX_FDS 8
pid_t coord_exec_child(const char *exe, char *const argv[], const int *fds, int n);

/* spawn_client.c: the coordinator's end of the spawner's channel */
int coord_spawner_start(struct coord *co);
/* Asks for role (enum ipc_spawn_role) with fds[i] at fd 3 + i (-1: none). */
int coord_spawner_request(struct coord *co, unsigned role, unsigned index, const int *fds, int n);
int coord_spawner_reload(struct coord *co);
/* Closes the channel (the spawner kills and reaps its children and exits),
 * then waits for it. */
void coord_spawner_stop(struct coord *co);

/* optfiles.c: files named by options (trust bundle, htpasswd) */
const char *coord_trust_path(const struct options *o);
const char *coord_htpasswd_path(const struct options *o);
/* Both files into trust/htpasswd (-1: not named); on error neither is open
 * and err names the file. */
int coord_open_option_files(const struct options *o, int *trust, int *htpasswd, char *err,
			    size_t errlen);

/* coordinator.c */
void coord_on_reload_result(struct coord *co, const Snare__ReloadResult *r, struct ipc_frame *f);
/* Starts a clean stop (as SIGTERM does), with this exit code. */
void coord_begin_stop(struct coord *co, int exit_code);

/* options_send.c: options as name=value pairs (worker config, reload result) */
/* o as name=value pairs (every option with a value, lists repeated): *v
 * and its entries are owned by the caller, freed with coord_options_pairs_free. */
void coord_options_pairs(const struct options *o, Snare__KeyValue ***v, size_t *n);
void coord_options_pairs_free(Snare__KeyValue **v, size_t n);

/* events.c: f came from worker w (stamped into it before it is written) */
void coord_on_flow(struct coord *co, const struct coord_child *w, Snare__Flow *f);
/* A finished flow (live or read with -r) to the terminal, the -w file and the
 * HAR log, each as its filter says. */
void coord_output(struct coord *co, const Snare__Flow *f);
void coord_on_log(struct coord *co, const Snare__LogEvent *ev);

/* web.c: the web interface (the ui role).  open: before the sandbox (socket,
 * spill file, -r file, token); start: has the spawner start the ui; print:
 * the start-up line.  flow and log hand the ui a view, or count it dropped. */
int coord_web_open(struct coord *co);
int coord_web_start(struct coord *co);
void coord_web_print(struct coord *co);
void coord_web_flow(struct coord *co, Snare__Flow *f);
void coord_web_log(struct coord *co, unsigned level, const char *client, const char *text);
void coord_web_install_log(struct coord *co);
void coord_web_close(struct coord *co);
/* scripts.c: the files scripts and rewrites name, and the script watch */
#include "coordinator/scripts.h"

/* replayfiles.c: the replay files and the web interface's replays */
#include "coordinator/replayfiles.h"

/* flow_parts.c: bodies that arrive in pieces ahead of their flow */
#include "coordinator/flow_parts.h"

#endif
