/* Runs wherever options are parsed (the coordinator, the spawner on reload,
 * the workers from their name=value pairs).  Trusts nothing: each value is
 * handed to the rewrite module's own parser (daemon/rewrite/spec.c), the
 * one the workers use, and thrown away. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/rewrite_opts.h"
#include "rewrite/rewrite.h"

static int check_kind(enum rewrite_kind kind, const char *v, char *err, size_t errlen)
{
	struct rewrite_spec spec;
	int rc;

	if (strlen(v) > REWRITE_OPTS_VALUE_MAX) {
		snprintf(err, errlen, "%s: value too long (at most %d bytes)",
			 rewrite_kind_name(kind), REWRITE_OPTS_VALUE_MAX);
		return -EINVAL;
	}
	rc = rewrite_parse(kind, v, &spec, err, errlen);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", rewrite_kind_name(kind));
	if (rc < 0)
		return -EINVAL;
	rewrite_spec_free(&spec);
	return 0;
}

int rewrite_opts_check_modify_headers(const char *v, char *err, size_t errlen)
{
	return check_kind(REWRITE_MODIFY_HEADERS, v, err, errlen);
}

int rewrite_opts_check_modify_body(const char *v, char *err, size_t errlen)
{
	return check_kind(REWRITE_MODIFY_BODY, v, err, errlen);
}

int rewrite_opts_check_map_remote(const char *v, char *err, size_t errlen)
{
	return check_kind(REWRITE_MAP_REMOTE, v, err, errlen);
}

int rewrite_opts_check_map_local(const char *v, char *err, size_t errlen)
{
	return check_kind(REWRITE_MAP_LOCAL, v, err, errlen);
}

int rewrite_opts_check_block_list(const char *v, char *err, size_t errlen)
{
	return check_kind(REWRITE_BLOCK_LIST, v, err, errlen);
}

/* The file itself is read (and its syntax checked) by the coordinator
 * (daemon/coordinator/scripts.c); here only the name. */
int rewrite_opts_check_script(const char *v, char *err, size_t errlen)
{
	if (v[0] == '\0' || strlen(v) > REWRITE_OPTS_VALUE_MAX) {
		snprintf(err, errlen, "scripts: expected a file name of 1..%d bytes",
			 REWRITE_OPTS_VALUE_MAX);
		return -EINVAL;
	}
	return 0;
}
