/* The flow file (`-w`, `-r`): the 8-byte magic "SNAREFL1", then for each
 * flow a varint length and one serialized snare.Flow (proto/flow.proto,
 * man/snare-flows.5).  Written by the coordinator only. */
#ifndef SNARE_OUTPUT_FLOWFILE_H
#define SNARE_OUTPUT_FLOWFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"
#include "flow.pb-c.h"

#define FLOWFILE_MAGIC "SNAREFL1"
#define FLOWFILE_MAX_FLOW (512u << 20) /* a larger length prefix is corruption */

struct flowfile;

/* Opens for writing (mode 0600): truncates, or appends when `append` (a new
 * or empty file gets the magic; an existing one must start with it: else
 * -EINVAL, and one whose last record is cut short: -EBADMSG).  Every
 * flowfile_write() reaches the kernel before it returns (no stdio buffer):
 * -EMSGSIZE above FLOWFILE_MAX_FLOW, -errno on a write error (a partial
 * record is cut off again where possible). */
int flowfile_open(const char *path, bool append, struct flowfile **out, char *err,
		  size_t errlen) SNARE_MUST_CHECK;
int flowfile_write(struct flowfile *ff, const Snare__Flow *f) SNARE_MUST_CHECK;
int flowfile_close(struct flowfile *ff);

/* Reads every flow of a file, calling fn for each (the flow is freed after
 * the call).  Stops at the first corrupt record with -EBADMSG and a message
 * naming the file and offset (the flows before it were delivered); -EINVAL
 * without the magic; -errno when the file cannot be read. */
int flowfile_read(const char *path, void (*fn)(const Snare__Flow *f, void *arg), void *arg,
		  char *err, size_t errlen) SNARE_MUST_CHECK;
/* The same on an open file descriptor, which it closes (the web interface
 * reads the -r file the coordinator opened for it); `name` is used in
 * messages in place of the path. */
int flowfile_read_fd(int fd, const char *name, void (*fn)(const Snare__Flow *f, void *arg),
		     void *arg, char *err, size_t errlen) SNARE_MUST_CHECK;
/* The same on a file already in memory (tests, fuzzing); `name` is used in
 * messages in place of the path. */
int flowfile_read_mem(const uint8_t *data, size_t len, const char *name,
		      void (*fn)(const Snare__Flow *f, void *arg), void *arg, char *err,
		      size_t errlen) SNARE_MUST_CHECK;

#endif
