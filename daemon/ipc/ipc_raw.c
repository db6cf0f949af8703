/* One frame over a SOCK_SEQPACKET socket with its file descriptors
 * (SCM_RIGHTS), in every snare process.  Trusts nothing received: truncated
 * data or control data, or any control message but SCM_RIGHTS, is refused and
 * every fd that arrived with it is closed. */
#include "ipc/ipc.h"
#include "core/unconst.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union ipc_cmsg_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(IPC_MAX_FDS * sizeof(int))];
};

int ipc_send_raw(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds)
{
	union ipc_cmsg_buf cb;
	struct iovec iov = {.iov_base = unconst(buf), .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (len > IPC_MAX_FRAME)
		return -EMSGSIZE;
	/* An empty datagram would read as EOF on the other end. */
	if (len == 0 || nfds > IPC_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	for (;;) {
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

/* Collects the fds of every control message into fds[]; closes what does
 * not fit.  -EBADMSG when anything but SCM_RIGHTS arrived or fds overflowed. */
static int ipc_collect_fds(struct msghdr *mh, int *fds, size_t maxfds, size_t *nfds)
{
	struct cmsghdr *cm;
	int err = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			err = -EBADMSG;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nfds < maxfds) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				err = -EBADMSG;
			}
		}
	}
	return err;
}

static void ipc_raw_close_fds(int *fds, size_t *nfds)
{
	size_t i;

	for (i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
}

int ipc_recv_raw(int fd, uint8_t *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds)
{
	union ipc_cmsg_buf cb;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int err;

	*nfds = 0;
	if (maxfds > IPC_MAX_FDS)
		maxfds = IPC_MAX_FDS;
	if (maxfds > 0) {
		mh.msg_control = cb.buf;
		mh.msg_controllen = CMSG_SPACE(maxfds * sizeof(int));
	}
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	err = ipc_collect_fds(&mh, fds, maxfds, nfds);
	if (err == 0 && (mh.msg_flags & MSG_CTRUNC))
		err = -EBADMSG;
	if (err == 0 && (mh.msg_flags & MSG_TRUNC))
		err = -EMSGSIZE;
	if (err == 0 && n > INT32_MAX)
		err = -EMSGSIZE;
	if (err < 0 || n == 0)
		ipc_raw_close_fds(fds, nfds);
	return err < 0 ? err : (int)n;
}
