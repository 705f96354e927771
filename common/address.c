/* Address logic. Lengths follow the kernel: AF_INET needs 16 bytes, AF_INET6 needs 24 (the
 * RFC 2133 sockaddr_in6 without sin6_scope_id); neither accepts more than 128. */
#include "address.h"

#include <netinet/in.h>
#include <string.h>

#define SIN6_LEN_RFC2133 24

int address_port(const struct sockaddr *addr, socklen_t len)
{
	sa_family_t family;
	in_port_t port;

	if (addr == NULL || len < sizeof(family) + sizeof(port) || len > sizeof(struct sockaddr_storage))
		return -1;
	memcpy(&family, &addr->sa_family, sizeof(family));
	if (!(family == AF_INET && len >= sizeof(struct sockaddr_in)) &&
	    !(family == AF_INET6 && len >= SIN6_LEN_RFC2133))
		return -1;
	/* sin_port and sin6_port both sit right after the family */
	memcpy(&port, (const char *)addr + sizeof(family), sizeof(port));
	return ntohs(port);
}

static int ipv4_local(const unsigned char *a)
{
	static const unsigned char any[4];

	return a[0] == 127 || memcmp(a, any, sizeof any) == 0;
}

int address_is_local(const struct sockaddr *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const unsigned char *a;

	if (addr->sa_family == AF_INET)
		return ipv4_local((const unsigned char *)&((const struct sockaddr_in *)addr)->sin_addr);
	a = (const unsigned char *)&((const struct sockaddr_in6 *)addr)->sin6_addr;
	if (memcmp(a, mapped, sizeof mapped) == 0)
		return ipv4_local(a + sizeof mapped);
	return memcmp(a, &in6addr_loopback, 16) == 0 || memcmp(a, &in6addr_any, 16) == 0;
}

void address_copy(struct bind_addr *out, const struct sockaddr *addr, socklen_t len)
{
	size_t full = addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	memset(&out->sa, 0, sizeof(out->sa));
	memcpy(&out->sa, addr, len < full ? len : full);
	out->len = (socklen_t)full;
}

void address_set_port(struct bind_addr *a, uint16_t port)
{
	if (a->sa.ss_family == AF_INET)
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
}

static void loopback(int family, struct bind_addr *out)
{
	memset(&out->sa, 0, sizeof(out->sa));
	out->sa.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&out->sa)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		out->len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&out->sa)->sin6_addr = in6addr_loopback;
		out->len = sizeof(struct sockaddr_in6);
	}
}

void address_reservation(const struct bind_addr *a, struct bind_addr *out)
{
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
		if (in->sin_addr.s_addr == htonl(INADDR_ANY)) {
			loopback(AF_INET, out);
			return;
		}
		*out = *a;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) {
			loopback(AF_INET6, out);
			return;
		}
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			struct sockaddr_in *in = (struct sockaddr_in *)&out->sa;
			memset(&out->sa, 0, sizeof(out->sa));
			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, &in6->sin6_addr.s6_addr[12], 4);
			out->len = sizeof(*in);
			if (in->sin_addr.s_addr == htonl(INADDR_ANY))
				loopback(AF_INET, out);
			return;
		}
		*out = *a;
	}
	address_set_port(out, 0);
}

void address_other_loopback(const struct bind_addr *r, uint16_t port, struct bind_addr *out)
{
	loopback(r->sa.ss_family == AF_INET ? AF_INET6 : AF_INET, out);
	address_set_port(out, port);
}

int address_ipv4_fallback(const struct bind_addr *a, struct bind_addr *out)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;

	if (a->sa.ss_family != AF_INET6 || !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
		return 0;
	loopback(AF_INET, out);
	return 1;
}

int address_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}
