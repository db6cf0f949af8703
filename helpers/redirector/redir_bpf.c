/* snare-redirector's eBPF side (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON): loads
 * the skeleton bpftool generated from bpf/redirect.bpf.c, attaches its
 * programs to the cgroup v2 root with bpf_links (pinned nowhere, so they go
 * when the helper's fds close, kill -9 included) and fills the maps with
 * tables intercept_compile built and intercept_table_valid checked. */
#include "redir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#if __has_include("redirect.skel.h")
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* bpftool's generated skeleton casts const away in its own code. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "redirect.skel.h"
#pragma GCC diagnostic pop
#include "core/errf.h"

struct redir_bpf {
	struct redirect *skel;
	struct bpf_link *sock_create;
	struct bpf_link *sockops;
	struct bpf_link *udp_egress;
	uint32_t gen;
	uint32_t self[REDIR_MAX_SELF];
	size_t nself;
};

static const char *const redir_cgroup_paths[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};

/* The cgroup v2 root: the first of the usual mount points that is one. */
static int redir_cgroup_root(char *err, size_t errlen)
{
	struct statfs sf;
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(redir_cgroup_paths); i++) {
		if (statfs(redir_cgroup_paths[i], &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		fd = open(redir_cgroup_paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	snprintf(err, errlen, "no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	return -ENOENT;
}

static int redir_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	helper_log("libbpf: %s", line);
	return 0;
}

static int redir_attach(struct redir_state *st, char *err, size_t errlen)
{
	struct redir_bpf *b = st->bpf;

	b->sock_create =
	    bpf_program__attach_cgroup(b->skel->progs.redir_sock_create, st->cgroup_fd);
	if (b->sock_create == NULL) {
		errf(err, errlen, -errno, "cannot attach cgroup/sock_create");
		return -errno;
	}
	b->sockops = bpf_program__attach_cgroup(b->skel->progs.redir_sockops, st->cgroup_fd);
	if (b->sockops == NULL) {
		errf(err, errlen, -errno, "cannot attach sockops");
		return -errno;
	}
	b->udp_egress = bpf_program__attach_cgroup(b->skel->progs.redir_udp_egress, st->cgroup_fd);
	if (b->udp_egress == NULL) {
		errf(err, errlen, -errno, "cannot attach cgroup_skb/egress");
		return -errno;
	}
	return 0;
}

int redir_bpf_load(struct redir_state *st, char *err, size_t errlen)
{
	struct redir_bpf *b = xcalloc(1, sizeof(*b));

	st->bpf = b;
	libbpf_set_print(redir_libbpf_log);
	st->cgroup_fd = redir_cgroup_root(err, errlen);
	if (st->cgroup_fd < 0)
		return st->cgroup_fd;
	b->skel = redirect__open();
	if (b->skel == NULL) {
		errf(err, errlen, -errno, "cannot open the eBPF object");
		return -errno;
	}
	b->skel->rodata->redir_ifindex = (uint32_t)st->ifindex;
	/* The coordinator's map fd must not let it forge process names. */
	bpf_map__set_map_flags(b->skel->maps.redir_conns, BPF_F_RDONLY);
	if (redirect__load(b->skel) < 0) {
		errf(err, errlen, -errno,
		     "cannot load the eBPF programs (kernel >= 5.10 with BTF?)");
		return -errno;
	}
	return redir_attach(st, err, errlen);
}

void redir_bpf_unload(struct redir_state *st)
{
	struct redir_bpf *b = st->bpf;

	if (b == NULL)
		return;
	bpf_link__destroy(b->udp_egress);
	bpf_link__destroy(b->sockops);
	bpf_link__destroy(b->sock_create);
	redirect__destroy(b->skel);
	free(b);
	st->bpf = NULL;
	if (st->cgroup_fd >= 0)
		close(st->cgroup_fd);
	st->cgroup_fd = -1;
}

int redir_bpf_set_spec(struct redir_state *st, const struct redir_spec *spec)
{
	struct redir_bpf *b = st->bpf;
	uint32_t zero = 0, next = (b->gen + 1) & 1;

	if (!intercept_table_valid(spec))
		return -EINVAL;
	if (bpf_map__update_elem(b->skel->maps.redir_specs, &next, sizeof(next), spec,
				 sizeof(*spec), BPF_ANY) < 0)
		return -errno;
	if (bpf_map__update_elem(b->skel->maps.redir_gen, &zero, sizeof(zero), &next, sizeof(next),
				 BPF_ANY) < 0)
		return -errno;
	b->gen = next;
	return 0;
}

static bool redir_in(const uint32_t *pids, size_t n, uint32_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int redir_bpf_set_self(struct redir_state *st, const uint32_t *pids, size_t n)
{
	struct redir_bpf *b = st->bpf;
	const struct bpf_map *m = b->skel->maps.redir_self;
	uint8_t one = 1;
	size_t i, k = 0;

	if (n > REDIR_MAX_SELF)
		return -E2BIG;
	for (i = 0; i < n; i++)
		if (bpf_map__update_elem(m, &pids[i], sizeof(pids[i]), &one, 1, BPF_ANY) < 0)
			return -errno;
	for (i = 0; i < b->nself; i++)
		if (!redir_in(pids, n, b->self[i]))
			bpf_map__delete_elem(m, &b->self[i], sizeof(b->self[i]), 0);
	for (i = 0; i < n; i++)
		if (!redir_in(b->self, k, pids[i]))
			b->self[k++] = pids[i];
	b->nself = k;
	return 0;
}

int redir_bpf_conns_fd(struct redir_state *st)
{
	return bpf_map__fd(st->bpf->skel->maps.redir_conns);
}

#else /* no skeleton: built without bpf/build.sh */

int redir_bpf_load(struct redir_state *st, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "built without its eBPF programs (run bpf/build.sh; see the Makefile)");
	return -ENOSYS;
}

void redir_bpf_unload(struct redir_state *st)
{
}

int redir_bpf_set_spec(struct redir_state *st, const struct redir_spec *spec)
{
	return -ENOSYS;
}

int redir_bpf_set_self(struct redir_state *st, const uint32_t *pids, size_t n)
{
	return -ENOSYS;
}

int redir_bpf_conns_fd(struct redir_state *st)
{
	return -ENOSYS;
}

#endif
