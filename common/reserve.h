/* The TIME_WAIT trick: leave a port in TIME_WAIT so that the kernel will not hand it out
 * as an ephemeral port for about 60 s, while a bind with SO_REUSEADDR can still take it. */
#ifndef EPR_RESERVE_H
#define EPR_RESERVE_H

#include <sys/socket.h>

/* Reserve only the port given in addr; fail with EADDRINUSE rather than pick another. */
#define RESERVE_EXACT 1
/* Bind a preferred port with SO_REUSEADDR, as the classic Python reserve() does: a port
 * in TIME_WAIT (one just reserved) is reserved again instead of counting as taken. */
#define RESERVE_REUSE 2

/* Reserves a TCP port on the address in addr (AF_INET or AF_INET6, len bytes). The port in
 * addr is a preference: 0 picks an ephemeral port; a busy preferred port falls back to an
 * ephemeral one unless flags has RESERVE_EXACT. Returns the port, or -errno: -EAGAIN when
 * no ephemeral port is free (the kernel says EADDRINUSE or EADDRNOTAVAIL for that, which
 * would read as "taken" or "not a local address"), -EADDRINUSE when RESERVE_EXACT's port
 * is taken. Opens and closes its own sockets (all SOCK_CLOEXEC) on every path. */
int reserve_port(const struct sockaddr *addr, socklen_t len, int flags);

#endif
