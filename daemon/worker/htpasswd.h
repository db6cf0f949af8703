/* proxyauth @file: an htpasswd file read from WORKER_HTPASSWD_FD
 * (htpasswd.c).  Runs in a worker. */
#ifndef SNARE_WORKER_HTPASSWD_H
#define SNARE_WORKER_HTPASSWD_H

#include <stdbool.h>

int htpasswd_load(void);
bool htpasswd_check(const char *user_colon_pass);

#endif
