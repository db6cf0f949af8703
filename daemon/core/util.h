/* Small helpers used by every snare process: allocation that cannot fail
 * silently, fatal errors for broken invariants, fd flags and clocks. */
#ifndef SNARE_CORE_UTIL_H
#define SNARE_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SNARE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SNARE_MUST_CHECK __attribute__((warn_unused_result))

/* Prints "snare: <msg>" to stderr and exits 1.  Only for allocation failure
 * and broken invariants. */
void fatal(const char *fmt, ...) SNARE_PRINTF(1, 2) __attribute__((noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) SNARE_PRINTF(1, 2);
/* Frees v[0..n) and v (an array of owned strings). */
void strv_free(char **v, size_t n);

int fd_set_nonblock(int fd) SNARE_MUST_CHECK;
int fd_set_cloexec(int fd, int on) SNARE_MUST_CHECK;
/* Writes all n bytes (retrying on EINTR and short writes): 0 or -errno. */
int fd_write_all(int fd, const void *buf, size_t n) SNARE_MUST_CHECK;

/* Monotonic milliseconds and wall-clock seconds (with fraction). */
uint64_t clock_ms(void);
double clock_wall(void);

/* The program name used in error messages ("snare"). */
extern const char *snare_progname;

#endif
