/* The ca role: holds the CA private key and signs leaf certificates for
 * workers.  No network I/O; non-dumpable; its own seccomp list. */
#ifndef SNARE_CA_CA_H
#define SNARE_CA_CA_H

/* fd 3: channel to the coordinator.  Returns the exit status. */
int ca_main(void);

#endif
