/* The coordinator's side of the redirector channel after the helper.proto
 * Hello: one synchronous request at a time (start-up, spec changes).
 * Trusts replies only after intercept_decode; a bad reply, a timeout or EOF
 * ends the client, and closing the channel makes the helper undo and exit. */
#include "intercept/intercept_proto.h"

#include "intercept/intercept.h"
#include "core/errf.h"
#include "core/unconst.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define INTERCEPT_REPLY_TIMEOUT_MS 10000

#define C2R(c) SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__BODY_##c
#define R2C(c) SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_##c

void intercept_client_init(struct intercept_client *c, int fd)
{
	*c = (struct intercept_client){.fd = fd, .seq = 0, .dead = fd < 0};
}

/* One frame and at most one fd (closed on every error). */
static int intercept_recv(int fd, uint8_t *buf, size_t cap, int *rfd, size_t *nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct cmsghdr *cm;
	ssize_t n;

	*nfds = 0;
	if (poll(&pfd, 1, INTERCEPT_REPLY_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
		memcpy(rfd, CMSG_DATA(cm), sizeof(int));
		*nfds = 1;
	} else if (cm != NULL) {
		return -EBADMSG;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || n == 0) {
		if (*nfds == 1)
			close(*rfd);
		*nfds = 0;
		return n == 0 ? -EPIPE : -EBADMSG;
	}
	return (int)n;
}

static int intercept_dead(struct intercept_client *c, int rc, char *err, size_t errlen,
			  const char *what)
{
	errf(err, errlen, rc, "snare-redirector: %s", what);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = true;
	return rc == -EREMOTEIO ? -EPROTO : rc;
}

/* Takes a reply apart: 0 (Ok, *rep kept for the caller), -EREMOTEIO (Error). */
static int intercept_reply(struct intercept_client *c, struct intercept_msg *m, char *err,
			   size_t errlen)
{
	const Snare__Redirector__RedirectorToCoord *r = (const void *)m->msg;

	if (m->seq != c->seq)
		return intercept_dead(c, -EPROTO, err, errlen, "reply out of sequence");
	if (m->body_case == R2C(ERROR)) {
		snprintf(err, errlen, "snare-redirector: %s", r->error->message);
		return -EREMOTEIO;
	}
	return 0;
}

/* Sends req and waits for its reply: 0 with *m to free, or an error. */
static int intercept_request(struct intercept_client *c, Snare__Redirector__CoordToRedirector *req,
			     int *fd_out, struct intercept_msg *m, char *err, size_t errlen)
{
	uint8_t buf[INTERCEPT_MAX_FRAME];
	size_t ok_fds = intercept_ok_fds((int)req->body_case), nfds = 0;
	int n, rfd = -1, rc;

	if (c->dead)
		return intercept_dead(c, -EPIPE, err, errlen, "channel closed");
	req->has_seq = true;
	req->seq = ++c->seq;
	n = intercept_pack(&req->base, buf, sizeof(buf));
	if (n < 0) {
		snprintf(err, errlen, "snare-redirector: request too large");
		return n;
	}
	if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return intercept_dead(c, -errno, err, errlen, "send");
	n = intercept_recv(c->fd, buf, sizeof(buf), &rfd, &nfds);
	if (n < 0)
		return intercept_dead(c, n, err, errlen, "reply");
	rc = intercept_decode(INTERCEPT_TO_COORD, INTERCEPT_ST_WAITING, ok_fds, buf, (size_t)n,
			      nfds, m);
	if (rc < 0) {
		if (nfds == 1)
			close(rfd);
		return intercept_dead(c, rc, err, errlen, "bad reply");
	}
	rc = intercept_reply(c, m, err, errlen);
	if (rc == 0 && fd_out != NULL && nfds == 1)
		*fd_out = rfd;
	else if (nfds == 1)
		close(rfd);
	if (rc < 0)
		intercept_msg_free(m);
	return rc;
}

int intercept_client_set(struct intercept_client *c, const char *spec, const uint32_t *own_pids,
			 size_t npids, char *desc, size_t desclen, char *err, size_t errlen)
{
	Snare__Redirector__CoordToRedirector req = SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__INIT;
	Snare__Redirector__SetIntercept si = SNARE__REDIRECTOR__SET_INTERCEPT__INIT;
	struct intercept_msg m = {0};
	struct redir_spec t;
	int rc;

	/* Checked here first: a spec the helper refuses would end it. */
	rc = intercept_compile(spec, &t, err, errlen);
	if (rc < 0)
		return rc;
	if (npids > INTERCEPT_MAX_OWN_PIDS) {
		snprintf(err, errlen, "too many snare processes to exclude");
		return -E2BIG;
	}
	si.spec = unconst(spec);
	si.own_pids = unconst(own_pids);
	si.n_own_pids = npids;
	req.body_case = C2R(SET_INTERCEPT);
	req.set_intercept = &si;
	rc = intercept_request(c, &req, NULL, &m, err, errlen);
	if (rc < 0)
		return rc;
	if (desc != NULL && desclen > 0) {
		const Snare__Redirector__RedirectorToCoord *r = (const void *)m.msg;

		snprintf(desc, desclen, "%s", r->ok->description ? r->ok->description : "");
	}
	intercept_msg_free(&m);
	return 0;
}

/* GetTun and OpenProcMap: an empty body, answered by an Ok with one fd. */
static int intercept_fd_request(struct intercept_client *c, int body_case, int *fd,
				struct intercept_msg *m, char *err, size_t errlen)
{
	Snare__Redirector__CoordToRedirector req = SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__INIT;
	Snare__Redirector__GetTun gt = SNARE__REDIRECTOR__GET_TUN__INIT;
	Snare__Redirector__OpenProcMap op = SNARE__REDIRECTOR__OPEN_PROC_MAP__INIT;

	req.body_case = body_case;
	if (body_case == C2R(GET_TUN))
		req.get_tun = &gt;
	else
		req.open_proc_map = &op;
	return intercept_request(c, &req, fd, m, err, errlen);
}

int intercept_client_get_tun(struct intercept_client *c, int *tun_fd, char *name, char *err,
			     size_t errlen)
{
	struct intercept_msg m = {0};
	int rc = intercept_fd_request(c, C2R(GET_TUN), tun_fd, &m, err, errlen);

	if (rc < 0)
		return rc;
	const Snare__Redirector__RedirectorToCoord *r = (const void *)m.msg;

	snprintf(name, INTERCEPT_TUN_NAME_MAX + 1, "%s", r->ok->tun_name ? r->ok->tun_name : "");
	intercept_msg_free(&m);
	return 0;
}

int intercept_client_proc_map(struct intercept_client *c, int *map_fd, char *err, size_t errlen)
{
	struct intercept_msg m = {0};
	int rc = intercept_fd_request(c, C2R(OPEN_PROC_MAP), map_fd, &m, err, errlen);

	if (rc == 0)
		intercept_msg_free(&m);
	return rc;
}
