/* TUN devices for privileged helpers (snare-tun, snare-redirector), which
 * run as root or with CAP_NET_ADMIN and pass the device's fd to snare.
 * Trusts its caller for nothing: names and MTUs are checked again here.
 * Call helper_tun_init from the helper's init hook (before the sandbox) and
 * list HELPER_TUN_SYSCALLS in its helper_def; then helper_tun_create. */
#ifndef SNARE_HELPERS_COMMON_TUN_H
#define SNARE_HELPERS_COMMON_TUN_H

#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "helper.h"

#define HELPER_TUN_ADDR "169.254.0.1" /* /32, no peer and no route */
#define HELPER_TUN_MAX 8	      /* devices per helper process, ever */

/* The syscalls helper_tun_create needs beyond the skeleton's base list
 * (ioctl only for TUNSETIFF; pread/pwrite on the rp_filter files; flock and
 * ftruncate on the record of tun_state.h). */
/* clang-format off */
#define HELPER_TUN_SYSCALLS                                                                        \
	{.name = "ioctl", .arg = 1, .vals = {TUNSETIFF}, .nvals = 1},                              \
	{.name = "pread64", .arg = -1}, {.name = "pwrite64", .arg = -1},                           \
	{.name = "flock", .arg = -1}, {.name = "ftruncate", .arg = -1}
/* clang-format on */

/* Opens what creating max (1..HELPER_TUN_MAX) devices needs while the
 * helper may still open files: that many fds of /dev/net/tun, a
 * NETLINK_ROUTE socket, net.ipv4.conf.{all,default}.rp_filter and the
 * record of tun_state.h; restores the values a killed helper left changed
 * in this network namespace.  0 or a negative code with one line in err
 * (the helper refuses to start: a record it cannot trust or restore). */
int helper_tun_init(unsigned max, char *err, size_t errlen) SNARE_MUST_CHECK;

/* Creates a TUN device (IFF_TUN | IFF_NO_PI, not persistent) named
 * name_or_null (NULL: "tun%d"; a trailing "%d" is numbered by the kernel; an
 * existing device of that name is refused with -EEXIST), gives it
 * HELPER_TUN_ADDR/32, mtu (0: PRIVSEP_TUN_MTU_DEFAULT), brings it up and sets
 * the sysctls capture needs: its rp_filter 0, accept_local and
 * route_localnet 1; when net.ipv4.conf.all.rp_filter is not 0, every other
 * interface and `default` are first raised to max(all, theirs), then `all`
 * is set to 0, after the old values are written to the record of
 * tun_state.h.  Records in undo (needs room for 2 records) the deletion of
 * the device (RTM_DELLINK) and the helper's share of the record (the last
 * helper of the namespace to undo restores the values).  On
 * success *fd_out is the device's fd, owned by the caller, and ifname_out
 * (IFNAMSIZ bytes) its name.  On failure nothing is left behind: -EINVAL,
 * -EEXIST, -ENOSPC (no room or no device left), or the kernel's -errno. */
int helper_tun_create(const char *name_or_null, unsigned mtu, char *ifname_out, int *fd_out,
		      struct privsep_undo *undo) SNARE_MUST_CHECK;

#endif
