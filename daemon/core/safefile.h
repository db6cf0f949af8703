/* Opening files that hold secrets (CA key, flows, TLS key log, WireGuard
 * client configuration) without being tricked into following a symlink,
 * writing into another user's file or trusting a key others can read. */
#ifndef SNARE_CORE_SAFEFILE_H
#define SNARE_CORE_SAFEFILE_H

#include <stddef.h>

#include "core/util.h"

/* Opens path for writing (flags: O_APPEND, O_RDWR or neither; O_TRUNC is
 * applied only after the checks): O_NOFOLLOW, O_CLOEXEC, created 0600.  An
 * existing file must be owned by us; a character device (/dev/null, a
 * terminal) may also be root's.  Returns the fd, or -errno with one line in
 * err naming the file and what to do. */
int safefile_open_write(const char *path, int flags, char *err, size_t errlen) SNARE_MUST_CHECK;

/* Opens a private key file for reading: O_NOFOLLOW, a regular file owned by
 * us with no group or other permission bits.  The fd, or -errno with one line
 * in err naming the file and the fix ("chmod 600 FILE"). */
int safefile_open_secret(const char *path, char *err, size_t errlen) SNARE_MUST_CHECK;

/* An existing directory that holds our secrets (a symlink to one is fine):
 * a directory not writable by group or others.  0, -ENOENT when
 * it does not exist (nothing written to err), or -errno with one line in err
 * naming it and the fix ("chmod go-w DIR"). */
int safefile_check_dir(const char *path, char *err, size_t errlen) SNARE_MUST_CHECK;

#endif
