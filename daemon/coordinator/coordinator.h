/* The coordinator: spawns and supervises the ca and the workers, owns the
 * listening sockets and is the single writer of flow output. */
#ifndef SNARE_COORDINATOR_COORDINATOR_H
#define SNARE_COORDINATOR_COORDINATOR_H

#include "config/cli.h"

/* argc/argv are kept to re-read the configuration on SIGHUP. */
int coordinator_main(struct cli *cli, int argc, char **argv);

#endif
