/* Address formatting and classification (see addr.h).  Pure functions. */
#include "core/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static bool addr_v4mapped(const struct sockaddr *sa, struct in_addr *v4)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return false;
	memcpy(v4, &s6->sin6_addr.s6_addr[12], 4);
	return true;
}

char *addr_format_host(const struct sockaddr *sa, char *out, size_t len)
{
	struct in_addr v4;
	char tmp[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, tmp, sizeof(tmp));
	else if (addr_v4mapped(sa, &v4))
		inet_ntop(AF_INET, &v4, tmp, sizeof(tmp));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, tmp,
			  sizeof(tmp));
	else
		snprintf(tmp, sizeof(tmp), "?");
	snprintf(out, len, "%s", tmp);
	return out;
}

char *addr_format(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	struct in_addr v4;
	uint16_t port = addr_port(sa);

	addr_format_host(sa, host, sizeof(host));
	if (sa->sa_family == AF_INET &&
	    ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY))
		snprintf(out, len, "*:%u", port);
	else if (sa->sa_family == AF_INET6 && !addr_v4mapped(sa, &v4) &&
		 IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr))
		snprintf(out, len, "*:%u", port);
	else if (sa->sa_family == AF_INET6 && !addr_v4mapped(sa, &v4))
		snprintf(out, len, "[%s]:%u", host, port);
	else
		snprintf(out, len, "%s:%u", host, port);
	return out;
}

uint16_t addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int addr_parse_ip(const char *host, uint16_t port, union sockaddr_any *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &out->in4.sin_addr) == 1) {
		out->in4.sin_family = AF_INET;
		out->in4.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static bool v4_loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

static bool v4_private(uint32_t a)
{
	return (a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 ||
	       (a >> 16) == 0xa9fe || (a >> 22) == (100 << 2 | 1) || (a >> 24) == 0;
}

static bool addr_v4(const struct sockaddr *sa, uint32_t *a)
{
	struct in_addr v4;

	if (sa->sa_family == AF_INET) {
		*a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return true;
	}
	if (addr_v4mapped(sa, &v4)) {
		*a = ntohl(v4.s_addr);
		return true;
	}
	return false;
}

bool addr_is_loopback(const struct sockaddr *sa)
{
	uint32_t a;

	if (addr_v4(sa, &a))
		return v4_loopback(a);
	return sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

bool addr_is_private(const struct sockaddr *sa)
{
	uint32_t a;
	const uint8_t *b;

	if (addr_v4(sa, &a))
		return v4_private(a);
	if (sa->sa_family != AF_INET6)
		return false;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

bool addr_is_global(const struct sockaddr *sa)
{
	return !addr_is_loopback(sa) && !addr_is_private(sa);
}

bool addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	return memcmp(a, b, addr_len(a)) == 0;
}

bool addr_equal_host(const struct sockaddr *a, const struct sockaddr *b)
{
	char ha[INET6_ADDRSTRLEN], hb[INET6_ADDRSTRLEN];

	addr_format_host(a, ha, sizeof(ha));
	addr_format_host(b, hb, sizeof(hb));
	return strcmp(ha, hb) == 0;
}
