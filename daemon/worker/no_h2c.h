/* Plain servers that did not answer the h2c preface (no_h2c.c), remembered
 * by the worker for a while so that later HTTP/1.1 client connections go to
 * them in HTTP/1.1 at once, without a probe (as a browser remembers what a
 * server speaks).  Runs in a worker. */
#ifndef SNARE_WORKER_NO_H2C_H
#define SNARE_WORKER_NO_H2C_H

#include <stdbool.h>
#include <stdint.h>

/* Whether host:port refused h2c lately (within NO_H2C_MS). */
bool no_h2c_has(const char *host, uint16_t port);
/* host:port answered the preface with something else than SETTINGS. */
void no_h2c_add(const char *host, uint16_t port);

#endif
