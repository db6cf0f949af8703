/* The checks behind the scripting and rewrite options (scripts,
 * modify_headers, modify_body, map_remote, map_local, block_list): each
 * value is parsed as the worker will parse it, so a bad one is one line at
 * start-up or reload instead of a worker that cannot start. */
#ifndef SNARE_CONFIG_REWRITE_OPTS_H
#define SNARE_CONFIG_REWRITE_OPTS_H

#include <stddef.h>

#include "core/util.h"

/* One value travels to the workers as one name=value pair, whose value
 * the IPC validator caps at 4096 bytes (daemon/ipc/ipc_validate.c). */
#define REWRITE_OPTS_VALUE_MAX 4096

/* 0, or -EINVAL with one line in err naming the option and the problem. */
int rewrite_opts_check_script(const char *v, char *err, size_t errlen) SNARE_MUST_CHECK;
int rewrite_opts_check_modify_headers(const char *v, char *err, size_t errlen) SNARE_MUST_CHECK;
int rewrite_opts_check_modify_body(const char *v, char *err, size_t errlen) SNARE_MUST_CHECK;
int rewrite_opts_check_map_remote(const char *v, char *err, size_t errlen) SNARE_MUST_CHECK;
int rewrite_opts_check_map_local(const char *v, char *err, size_t errlen) SNARE_MUST_CHECK;
int rewrite_opts_check_block_list(const char *v, char *err, size_t errlen) SNARE_MUST_CHECK;

#endif
