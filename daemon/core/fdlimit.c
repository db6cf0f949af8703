/* Raises the soft descriptor limit to the hard one at start, in the roles
 * that hold client connections (the coordinator, whose children inherit it,
 * and each worker).  Trusts the kernel's limits only. */
#include "core/fdlimit.h"

#include <errno.h>
#include <sys/resource.h>

long fdlimit_raise(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0)
		return -errno;
	if (r.rlim_cur < r.rlim_max) {
		rlim_t old = r.rlim_cur;

		r.rlim_cur = r.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &r) < 0)
			r.rlim_cur = old; /* keep what we have */
	}
	return r.rlim_cur > (rlim_t)1 << 30 ? 1L << 30 : (long)r.rlim_cur;
}
