/* Packet modes (tun, local, wireguard): a TUN fd or a WireGuard socket
 * feeding the userspace network stack (packet.c).  Runs in a worker. */
#ifndef SNARE_WORKER_PACKET_H
#define SNARE_WORKER_PACKET_H

struct wg_keys;
int packet_source_start(int fd, unsigned mode_index);
int packet_source_start_wg(int fd, unsigned mode_index, const struct wg_keys *keys);
void packet_sources_stop(void);

#endif
