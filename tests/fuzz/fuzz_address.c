/* libFuzzer: arbitrary bytes as the sockaddr of a bind, with an arbitrary length.
 * address_port must read only what len covers (the buffer is exactly len bytes, so ASan
 * sees any read past it), and so must address_is_local; what it accepts, address_copy/reservation/other_loopback must
 * turn into well-formed AF_INET/AF_INET6 sockaddrs of the right length.
 *
 * Input: 2 bytes (little endian) of len, then the sockaddr's bytes (zero-padded to len). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t port_of(const struct bind_addr *a)
{
	return ntohs(a->sa.ss_family == AF_INET ? ((const struct sockaddr_in *)&a->sa)->sin_port
						: ((const struct sockaddr_in6 *)&a->sa)->sin6_port);
}

/* AF_INET of 16 bytes or AF_INET6 of 28, with nothing set past its length. */
static void check_well_formed(const struct bind_addr *a)
{
	const unsigned char *p = (const unsigned char *)&a->sa;
	size_t full;

	if (a->sa.ss_family == AF_INET)
		full = sizeof(struct sockaddr_in);
	else if (a->sa.ss_family == AF_INET6)
		full = sizeof(struct sockaddr_in6);
	else
		abort();
	if (a->len != full)
		abort();
	for (size_t i = full; i < sizeof(a->sa); i++)
		if (p[i])
			abort();
}

static int is_loopback(const struct bind_addr *a)
{
	if (a->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	socklen_t len;
	unsigned char *buf, *copy;
	struct bind_addr asked, where, other;
	int port;

	if (size < 2)
		return 0;
	len = (socklen_t)(data[0] | data[1] << 8);
	data += 2;
	size -= 2;
	if (len > 1024)
		len %= 1024;
	/* Exactly len bytes, so that a read past them is an ASan report. */
	buf = malloc(len ? len : 1);
	copy = malloc(len ? len : 1);
	if (buf == NULL || copy == NULL)
		abort();
	memset(buf, 0, len);
	memcpy(buf, data, size < len ? size : len);
	memcpy(copy, buf, len);

	port = address_port((const struct sockaddr *)buf, len);
	if (port >= 0) {
		sa_family_t family;
		in_port_t raw;
		memcpy(&family, buf, sizeof(family));
		memcpy(&raw, buf + sizeof(family), sizeof(raw));
		if (port > 65535 || port != ntohs(raw) || len > sizeof(struct sockaddr_storage))
			abort();
		if (!(family == AF_INET && len >= sizeof(struct sockaddr_in)) &&
		    !(family == AF_INET6 && len >= 24))
			abort();

		/* Reads only what address_port accepted (ASan), and agrees with the copy. */
		int local = address_is_local((const struct sockaddr *)buf);

		address_copy(&asked, (const struct sockaddr *)buf, len);
		check_well_formed(&asked);
		if (local != address_is_local((const struct sockaddr *)&asked.sa))
			abort();
		if (asked.sa.ss_family != family || port_of(&asked) != port)
			abort();
		size_t n = len < asked.len ? len : asked.len;
		if (memcmp(&asked.sa, buf, n) != 0)
			abort();

		address_reservation(&asked, &where);
		check_well_formed(&where);
		if (port_of(&where) != 0)
			abort();
		if (where.sa.ss_family == AF_INET6 &&
		    (IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&where.sa)->sin6_addr) ||
		     IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&where.sa)->sin6_addr)))
			abort(); /* never reserves on [::] or a v4-mapped address */
		if (where.sa.ss_family == AF_INET &&
		    ((struct sockaddr_in *)&where.sa)->sin_addr.s_addr == htonl(INADDR_ANY))
			abort(); /* never on 0.0.0.0 */

		uint16_t p = (uint16_t)(port ^ 0x5a5a);
		address_other_loopback(&where, p, &other);
		check_well_formed(&other);
		if (other.sa.ss_family == where.sa.ss_family || port_of(&other) != p || !is_loopback(&other))
			abort();

		address_set_port(&asked, p);
		check_well_formed(&asked);
		if (port_of(&asked) != p)
			abort();
	}
	if (memcmp(copy, buf, len) != 0)
		abort(); /* the caller's sockaddr is const */
	address_port(NULL, len);
	free(copy);
	free(buf);
	return 0;
}
