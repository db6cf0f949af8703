/* A flow file in /tmp for the replay unit tests: made empty and opened for
 * writing; the caller writes its flows, closes and unlinks it. */
#ifndef SNARE_TEST_REPLAY_FILE_H
#define SNARE_TEST_REPLAY_FILE_H

#include <stdlib.h>
#include <unistd.h>

#include "output/flowfile.h"

/* path is a mkstemp template, rewritten in place. */
static inline struct flowfile *rf_flowfile(char *path)
{
	char err[256];
	struct flowfile *ff = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(flowfile_open(path, false, &ff, err, sizeof(err)), 0);
	return ff;
}

#endif
