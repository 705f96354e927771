/* The address logic of a rewritten bind: validating and copying the caller's sockaddr,
 * and choosing where to reserve. The caller's const sockaddr is never written. */
#ifndef EPR_ADDRESS_H
#define EPR_ADDRESS_H

#include <stdint.h>
#include <sys/socket.h>

struct bind_addr {
	struct sockaddr_storage sa; /* a private copy, port included */
	socklen_t len;
};

/* The port the caller asks for, if addr is an AF_INET/AF_INET6 sockaddr of a length the
 * kernel accepts; -1 for anything else (it passes through untouched). Reads only what
 * len covers. */
int address_port(const struct sockaddr *addr, socklen_t len);

/* Whether addr, which address_port() accepted, names this host as a connect would reach it:
 * 127.0.0.0/8, ::1, the wildcards 0.0.0.0 and :: (a connect to them goes to loopback), and
 * the IPv4-mapped forms of those. */
int address_is_local(const struct sockaddr *addr);

/* Copies a sockaddr that address_port() accepted. */
void address_copy(struct bind_addr *out, const struct sockaddr *addr, socklen_t len);

void address_set_port(struct bind_addr *a, uint16_t port);

/* Where to reserve for a bind to a: the same address, loopback for a wildcard, the IPv4
 * address for an IPv4-mapped IPv6 one. Port 0. */
void address_reservation(const struct bind_addr *a, struct bind_addr *out);

/* Where to reserve for a bind to a when its address_reservation() is missing (a host
 * without IPv6 has no ::1): 127.0.0.1 for the IPv6 wildcard. 1 if out was set, else 0. */
int address_ipv4_fallback(const struct bind_addr *a, struct bind_addr *out);

/* Loopback of the other family than the reservation r (127.0.0.1 <-> ::1), with port. */
void address_other_loopback(const struct bind_addr *r, uint16_t port, struct bind_addr *out);

/* The port a bound AF_INET/AF_INET6 socket has (0: not bound yet), or -1 for anything else. */
int address_bound_port(int fd);

#endif
