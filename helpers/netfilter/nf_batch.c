/* The nftables transaction of snare-netfilter (root): messages built by
 * nf_objects.c go into one netlink batch, sent on the helper's own netfilter
 * socket; the kernel applies all of them or none, and answers each.  Trusts
 * the kernel's answers only for their error codes and sequence numbers. */
#include "nf.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#define NF_BATCH_LIMIT (32 * 1024)
#define NF_ACK_TIMEOUT_MS 5000
#define NF_DRAIN_MS 100
#define NF_RECV_BUF 16384

/* One batch at a time; twice the limit so an overflowing message fits. */
static char nf_batch_buf[2 * NF_BATCH_LIMIT];

void nf_batch_begin(struct nf_batch *b, struct nf_state *st)
{
	b->st = st;
	b->nmsgs = 0;
	b->full = false;
	b->b = mnl_nlmsg_batch_start(nf_batch_buf, NF_BATCH_LIMIT);
	if (b->b == NULL)
		fatal("out of memory");
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->b), st->seq++);
	mnl_nlmsg_batch_next(b->b);
	b->first_seq = st->seq;
}

struct nlmsghdr *nf_batch_hdr(struct nf_batch *b, uint16_t type, uint16_t flags)
{
	if (b->full)
		return NULL;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->b), type, NFPROTO_INET,
				     flags | NLM_F_ACK, b->st->seq++);
}

void nf_batch_next(struct nf_batch *b)
{
	b->nmsgs++;
	if (!mnl_nlmsg_batch_next(b->b))
		b->full = true;
}

/* Counts the answers to our messages in one datagram; keeps the first error. */
static void nf_scan_answers(const char *buf, int len, uint32_t first, uint32_t n, uint32_t *seen,
			    int *first_err)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlmsgerr *e;

		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq - first >= n)
			continue;
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		(*seen)++;
		if (e->error < 0 && *first_err == 0)
			*first_err = e->error;
	}
}

static int nf_collect(struct nf_state *st, uint32_t first, uint32_t n)
{
	static char buf[NF_RECV_BUF];
	struct pollfd pfd = {.fd = mnl_socket_get_fd(st->nl), .events = POLLIN};
	uint32_t seen = 0;
	int first_err = 0, r;

	while (seen < n) {
		r = poll(&pfd, 1, first_err != 0 ? NF_DRAIN_MS : NF_ACK_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		r = (int)recv(pfd.fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return first_err != 0 ? first_err : -errno;
		nf_scan_answers(buf, r, first, n, &seen, &first_err);
	}
	if (first_err == 0 && seen < n)
		return -ETIMEDOUT;
	return first_err;
}

int nf_batch_commit(struct nf_batch *b)
{
	struct nf_state *st = b->st;
	ssize_t n;
	int rc = 0;

	if (!b->full) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b->b), st->seq++);
		if (!mnl_nlmsg_batch_next(b->b))
			b->full = true;
	}
	if (b->full) {
		mnl_nlmsg_batch_stop(b->b);
		return -ENOSPC;
	}
	n = mnl_socket_sendto(st->nl, mnl_nlmsg_batch_head(b->b), mnl_nlmsg_batch_size(b->b));
	if (n < 0)
		rc = -errno;
	mnl_nlmsg_batch_stop(b->b);
	b->b = NULL;
	if (rc == 0 && b->nmsgs > 0)
		rc = nf_collect(st, b->first_seq, b->nmsgs);
	return rc;
}
