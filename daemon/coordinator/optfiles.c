/* Files named by options, opened by the process that may open files: the
 * coordinator at start-up (still privileged), the spawner on reload.  They
 * reach each worker as fds: the custom trust bundle as fd 6, the proxyauth
 * "@file" htpasswd as fd 7.  Trusts the options it is given. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "core/errf.h"

const char *coord_trust_path(const struct options *o)
{
	const char *p = o->ssl_verify_upstream_trusted_ca;

	return p != NULL && *p != '\0' ? p : NULL;
}

const char *coord_htpasswd_path(const struct options *o)
{
	const char *spec = o->proxyauth;

	return spec != NULL && spec[0] == '@' ? spec + 1 : NULL;
}

/* Opens path (NULL: none, *fd = -1). 0, or -errno with err naming what. */
static int open_named(const char *path, const char *what, int *fd, char *err, size_t errlen)
{
	*fd = -1;
	if (path == NULL)
		return 0;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	errf(err, errlen, -errno, "cannot read %s %s", what, path);
	return -errno;
}

int coord_open_option_files(const struct options *o, int *trust, int *htpasswd, char *err,
			    size_t errlen)
{
	if (open_named(coord_trust_path(o), "ssl_verify_upstream_trusted_ca", trust, err, errlen) <
	    0)
		return -EINVAL;
	if (open_named(coord_htpasswd_path(o), "the proxyauth file", htpasswd, err, errlen) < 0) {
		if (*trust >= 0)
			close(*trust);
		*trust = -1;
		return -EINVAL;
	}
	return 0;
}
