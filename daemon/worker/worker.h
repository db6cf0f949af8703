/* The worker role: accepts client connections on the listeners it is given
 * and does all network work.  fd 3: coordinator channel, fd 4: ca channel. */
#ifndef SNARE_WORKER_WORKER_H
#define SNARE_WORKER_WORKER_H

int worker_main(void);

#endif
