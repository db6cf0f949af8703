/* snare's entry point.  Runs as the coordinator unless re-executed with the
 * hidden `--role ca|worker|ui` flag, in which case fd 3 (and for workers fd 4)
 * are the control channels set up by the coordinator, or `--role spawner`
 * followed by the coordinator's own arguments (fd 3: its channel). */
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "config/cli.h"
#include "coordinator/coordinator.h"
#include "core/util.h"
#include "spawner/spawner.h"
#include "ui/ui.h"
#include "worker/worker.h"

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	if (argc >= 4 && strcmp(argv[1], "--role") == 0 && strcmp(argv[2], "spawner") == 0)
		return spawner_main(argc - 3, argv + 3);
	if (argc == 3 && strcmp(argv[1], "--role") == 0) {
		if (strcmp(argv[2], "ca") == 0)
			return ca_main();
		if (strcmp(argv[2], "worker") == 0)
			return worker_main();
		if (strcmp(argv[2], "ui") == 0)
			return ui_main();
		fatal("unknown role: %s", argv[2]);
	}
	if (cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", snare_progname, err);
		return 1;
	}
	if (cli.action == CLI_EXIT_OK) {
		cli_free(&cli);
		return 0;
	}
	rc = coordinator_main(&cli, argc, argv);
	cli_free(&cli);
	return rc;
}
