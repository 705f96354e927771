/* Holding a port longer than one TIME_WAIT: the TIME_WAIT reservation (common/reserve.c)
 * renewed on the same port before it expires, until the port is no longer needed. Used by
 * epr reserve --hold and epr portserver. */
#ifndef EPR_HOLD_H
#define EPR_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The kernel keeps a TIME_WAIT 60 s (TCP_TIMEWAIT_LEN); renewing every 20 s leaves two more
 * chances before the previous one ends, even on a loaded host. */
#define HOLD_RENEW_SECONDS 20.0
/* How often a holder looks for a server on its ports and for its owner's exit. */
#define HOLD_TICK_SECONDS 0.25

/* port_renew.c: renews the TIME_WAIT that holds the port of addr. It binds that port again
 * with SO_REUSEADDR (allowed over a TIME_WAIT with it), connects from it to a listener of its
 * own on another port and closes first, so the port goes into a new TIME_WAIT. The port is
 * bound from the bind until the new TIME_WAIT takes the socket's place, so there is no
 * instant when it is neither. It never listens on the port: a server's SO_REUSEADDR bind and
 * listen succeed during a renewal. 0, -EADDRINUSE when a server has the port (a listener,
 * or a socket bound without SO_REUSEADDR), or another -errno (try again later). */
int hold_renew(const struct sockaddr *addr, socklen_t len);

/* port_usage.c: which local ports have sockets, as the kernel's sock_diag says, in this
 * network namespace, IPv4 and IPv6. A bitmap of 65536 bits. */
struct port_set {
	uint64_t bits[65536 / 64];
};
static inline bool port_set_has(const struct port_set *s, uint16_t port)
{
	return s->bits[port / 64] >> (port % 64) & 1;
}
/* Which ports a server has taken: TCP listeners. */
#define PORT_USAGE_LISTEN 1
/* Which ports are not free: TCP sockets in any state but TIME_WAIT (bound but idle ones
 * too, on kernels that report them), and UDP sockets. */
#define PORT_USAGE_ANY 2
/* Fills set; 0, or -errno (-EPROTONOSUPPORT, say, where sock_diag is missing). */
int port_usage_scan(int what, struct port_set *set);

/* hold_run.c: holds ports[0..n-1] on addr's address, in this process, until each is taken
 * by a listener, or until deadline (now_seconds(); 0: none) or the exit of the process of
 * pidfd (-1: none). Then exits 0: nothing is left running. */
_Noreturn void hold_run(const uint16_t *ports, int n, const struct sockaddr_storage *addr,
			socklen_t len, double deadline, int pidfd);

/* hold_start.c: forks the holder of ports[0..n-1] (hold_run) in a session of its own, with
 * stdin, stdout and stderr on /dev/null and no other descriptor than pidfd. Returns its pid
 * to the caller, or -1 with errno if fork failed. */
pid_t hold_start(const uint16_t *ports, int n, const struct sockaddr_storage *addr,
		 socklen_t len, double deadline, int pidfd);

/* A pidfd for pid (pidfd_open), or -errno. */
int hold_pidfd_open(pid_t pid);

#endif
