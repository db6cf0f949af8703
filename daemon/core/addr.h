/* Socket address helpers: mitmproxy-style formatting ("1.2.3.4:80",
 * "[::1]:80", "*:80", v4-mapped shown as IPv4) and parsing of literals. */
#ifndef SNARE_CORE_ADDR_H
#define SNARE_CORE_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ADDR_STRLEN 64

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* Formats host:port; returns out. */
char *addr_format(const struct sockaddr *sa, char *out, size_t len);
/* Formats only the host part (no brackets, v4-mapped shown as IPv4). */
char *addr_format_host(const struct sockaddr *sa, char *out, size_t len);
uint16_t addr_port(const struct sockaddr *sa);
socklen_t addr_len(const struct sockaddr *sa);
/* Parses an IPv4 or IPv6 literal (no brackets) with a port.  0 or -EINVAL. */
int addr_parse_ip(const char *host, uint16_t port, union sockaddr_any *out);
bool addr_is_loopback(const struct sockaddr *sa);
bool addr_is_private(const struct sockaddr *sa);
bool addr_is_global(const struct sockaddr *sa);
bool addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Same host, ports ignored (v4-mapped and plain IPv4 compare equal). */
bool addr_equal_host(const struct sockaddr *a, const struct sockaddr *b);

#endif
