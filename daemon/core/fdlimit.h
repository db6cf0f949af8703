/* The descriptor limit of a process that accepts connections. */
#ifndef SNARE_CORE_FDLIMIT_H
#define SNARE_CORE_FDLIMIT_H

/* Raises RLIMIT_NOFILE's soft limit to the hard limit (never lowers it).
 * Returns the soft limit in force afterwards (capped at 1 << 30), or -errno
 * when it cannot be read. */
long fdlimit_raise(void);

#endif
