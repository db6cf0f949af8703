/* The channel of a privileged helper: fd 3 when forked directly, else the
 * sudo rendezvous; then Hello and the request dispatch.  Trusts nothing the
 * coordinator sends: every frame goes through privsep_decode (size cap,
 * unpack, the authorization table, validate_<msg>), and any violation or
 * EOF undoes everything and ends the helper. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "intercept/intercept_proto.h"
#include "ipc/ipc.h"
#include "core/errf.h"
#include "core/unconst.h"

#define HELPER_CHAN_FD 3
#define HELPER_NONCE_TIMEOUT_MS 10000
#define RV_PREFIX "/tmp/snare-rv."
#define RV_SUFFIX_LEN 6 /* mkdtemp's XXXXXX */

#define C2H_CASE(c) SNARE__HELPER__COORD_TO_HELPER__BODY_##c

_Static_assert(INTERCEPT_MAX_FRAME <= PRIVSEP_MAX_FRAME, "one receive buffer serves both");

static int helper_peer(struct helper *h)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(h->chan, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	h->peer_uid = cr.uid;
	h->peer_pid = cr.pid;
	return 0;
}

int helper_chan_inherited(struct helper *h, char *err, size_t errlen)
{
	int type = 0, domain = 0, rc;
	socklen_t len = sizeof(int);

	if (getsockopt(HELPER_CHAN_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockopt(HELPER_CHAN_FD, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    type != SOCK_SEQPACKET || domain != AF_UNIX) {
		snprintf(err, errlen, "fd 3 is not snare's channel (started by hand?)");
		return -EBADF;
	}
	if (fcntl(HELPER_CHAN_FD, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	h->chan = HELPER_CHAN_FD;
	rc = helper_peer(h);
	if (rc < 0)
		errf(err, errlen, rc, "fd 3");
	return rc;
}

/* Exactly RV_PREFIX followed by mkdtemp's six letters or digits. */
static bool helper_rv_name_ok(const char *dir)
{
	size_t plen = strlen(RV_PREFIX), i;

	if (strncmp(dir, RV_PREFIX, plen) != 0 || strlen(dir) != plen + RV_SUFFIX_LEN)
		return false;
	for (i = plen; dir[i] != '\0'; i++) {
		char c = dir[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* A real directory, mode 0700, owned by the user who ran sudo. */
static int helper_rv_dir_ok(const char *dir, uid_t *owner)
{
	const char *sudo_uid = getenv("SUDO_UID");
	struct stat st;

	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0700 || st.st_uid == 0)
		return -EPERM;
	if (sudo_uid != NULL && strtoul(sudo_uid, NULL, 10) != (unsigned long)st.st_uid)
		return -EPERM;
	*owner = st.st_uid;
	return 0;
}

static int helper_read_nonce(uint8_t *nonce)
{
	struct pollfd pfd = {.fd = 0, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < PRIVSEP_NONCE_LEN) {
		if (poll(&pfd, 1, HELPER_NONCE_TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		n = read(0, nonce + got, PRIVSEP_NONCE_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

static int helper_rv_connect(struct helper *h, const char *dir, uid_t owner)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	h->chan = fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	rc = helper_peer(h);
	/* The listener must be the user's own socket, whatever the path. */
	if (rc == 0 && h->peer_uid != owner)
		rc = -EPERM;
	return rc;
}

int helper_chan_rendezvous(struct helper *h, const char *dir, char *err, size_t errlen)
{
	uint8_t nonce[PRIVSEP_NONCE_LEN];
	uid_t owner = 0;
	int rc;

	if (!helper_rv_name_ok(dir)) {
		snprintf(err, errlen, "refusing rendezvous directory (not snare's)");
		return -EINVAL;
	}
	rc = helper_read_nonce(nonce);
	if (rc < 0) {
		errf(err, errlen, rc, "no nonce on stdin");
		return rc;
	}
	rc = helper_rv_dir_ok(dir, &owner);
	if (rc == 0)
		rc = helper_rv_connect(h, dir, owner);
	if (rc == 0)
		rc = ipc_send_raw(h->chan, nonce, sizeof(nonce), NULL, 0);
	explicit_bzero(nonce, sizeof(nonce));
	if (rc < 0)
		errf(err, errlen, rc, "rendezvous %s", dir);
	return rc;
}

int helper_send_hello(struct helper *h)
{
	Snare__Helper__HelperToCoord env = SNARE__HELPER__HELPER_TO_COORD__INIT;
	Snare__Helper__Hello hello = SNARE__HELPER__HELLO__INIT;
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int n;

	hello.has_version = true;
	hello.version = PRIVSEP_PROTOCOL_VERSION;
	hello.helper = unconst(h->def->name);
	env.has_seq = true;
	env.seq = 1;
	env.body_case = SNARE__HELPER__HELPER_TO_COORD__BODY_HELLO;
	env.hello = &hello;
	n = privsep_pack(&env.base, buf, sizeof(buf));
	if (n < 0)
		return n;
	return ipc_send_raw(h->chan, buf, (size_t)n, NULL, 0);
}

static void __attribute__((noreturn)) helper_violation(struct helper *h, const char *what, int code)
{
	helper_log("protocol violation (%s: %s): undoing and exiting", what, strerror(-code));
	helper_exit(h, 1);
}

static int helper_pack_privsep_reply(uint64_t seq, int rc, const struct helper_reply *rep,
				     uint8_t *buf, size_t cap)
{
	Snare__Helper__HelperToCoord env = SNARE__HELPER__HELPER_TO_COORD__INIT;
	Snare__Helper__Ok ok = SNARE__HELPER__OK__INIT;
	Snare__Helper__Error e = SNARE__HELPER__ERROR__INIT;

	env.has_seq = ok.has_seq = e.has_seq = true;
	env.seq = ok.seq = e.seq = seq;
	if (rc == 0) {
		env.body_case = SNARE__HELPER__HELPER_TO_COORD__BODY_OK;
		env.ok = &ok;
	} else {
		env.body_case = SNARE__HELPER__HELPER_TO_COORD__BODY_ERROR;
		e.message = unconst(rep->msg[0] != '\0' ? rep->msg : "failed");
		env.error = &e;
	}
	return privsep_pack(&env.base, buf, cap);
}

const struct helper_proto helper_privsep_proto = {
    .chan = &privsep_chan,
    .dir = PRIVSEP_COORD_TO_HELPER,
    .state = PRIVSEP_ST_READY,
    .ctx = NULL,
    .pack_reply = helper_pack_privsep_reply,
};

static int helper_send_reply(struct helper *h, uint64_t seq, int rc, const struct helper_reply *rep)
{
	uint8_t buf[PRIVSEP_MAX_FRAME];
	bool with_fd = rc == 0 && rep->fd >= 0;
	int n;

	n = h->proto->pack_reply(seq, rc, rep, buf, sizeof(buf));
	if (n < 0)
		return n;
	return ipc_send_raw(h->chan, buf, (size_t)n, with_fd ? &rep->fd : NULL, with_fd ? 1 : 0);
}

static int helper_on_undo(struct helper *h, const void *req, struct helper_reply *rep)
{
	privsep_undo_run(&h->undo);
	return 0;
}

/* The skeleton's own Undo on the helper channel, then the helper's table. */
static helper_handler_fn helper_handler(const struct helper *h, int body_case)
{
	size_t i;

	if (h->proto == &helper_privsep_proto && body_case == C2H_CASE(UNDO))
		return helper_on_undo;
	for (i = 0; i < h->def->nhandlers; i++)
		if (h->def->handlers[i].body_case == body_case)
			return h->def->handlers[i].fn;
	return NULL;
}

/* Hello (no answer) switches to the channel the helper serves. */
static void helper_dispatch(struct helper *h, const struct chan_msg *m)
{
	const char *name = chan_case_name(h->proto->chan, h->proto->dir, m->body_case);
	struct helper_reply rep = {.fd = -1};
	helper_handler_fn fn;
	int rc;

	if (h->proto == &helper_privsep_proto && m->body_case == C2H_CASE(HELLO)) {
		h->proto = h->def->proto != NULL ? h->def->proto : &helper_privsep_proto;
		h->state = h->proto->state;
		return;
	}
	fn = helper_handler(h, m->body_case);
	if (fn == NULL)
		helper_violation(h, name, -EOPNOTSUPP);
	rc = fn(h, m->env, &rep);
	if (rc < 0)
		helper_log("%s refused: %s", name, rep.msg);
	rc = helper_send_reply(h, m->seq, rc, &rep);
	if (rep.fd >= 0 && !rep.fd_kept)
		close(rep.fd);
	if (rc < 0) {
		helper_log("cannot reply: %s: undoing and exiting", strerror(-rc));
		helper_exit(h, 1);
	}
}

void helper_on_frame(struct helper *h)
{
	const struct privsep_ctx pctx = {.peer_uid = h->peer_uid, .helper_name = h->def->name};
	const struct helper_proto *p = h->proto;
	uint8_t buf[PRIVSEP_MAX_FRAME];
	struct chan_msg m;
	int fds[1], n, rc;
	size_t nfds = 0, i;

	n = ipc_recv_raw(h->chan, buf, sizeof(buf), fds, ARRAY_SIZE(fds), &nfds);
	if (n == 0) {
		helper_log("the coordinator closed the channel: undoing and exiting");
		helper_exit(h, 0);
	}
	if (n == -EAGAIN)
		return;
	if (n < 0)
		helper_violation(h, "receive", n);
	rc = chan_decode(p->chan, p->dir, h->state, p->ctx != NULL ? p->ctx : &pctx, buf, (size_t)n,
			 nfds, &m);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc < 0)
		helper_violation(h, "request", rc);
	helper_dispatch(h, &m);
	chan_msg_free(&m);
}
