/* The spawner role (spawner.c): forks, executes and reaps the ca and the
 * workers for the coordinator and re-reads its configuration on reload. */
#ifndef SNARE_SPAWNER_SPAWNER_H
#define SNARE_SPAWNER_SPAWNER_H

/* `snare --role spawner ARGV...`: ARGV is the coordinator's own command line
 * and fd 3 the channel to the coordinator.  Returns the exit status. */
int spawner_main(int argc, char **argv);

#endif
