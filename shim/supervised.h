/* Under epr run/start: binds and listens handed to the launch's supervisor. */
#ifndef EPR_SUPERVISED_H
#define EPR_SUPERVISED_H

#include <sys/socket.h>

/* Asks the supervisor named in the configuration. Returns 0 (done), 1 (make the bind as
 * asked) or -1 with errno set; *port is the port bound. Logs a libepr: line when the
 * supervisor cannot be reached. */
int supervised_call(int op, int fd, const struct sockaddr *addr, socklen_t len, unsigned *port);

/* supervised_call in two steps, for a process about to load epr's seccomp filter: its
 * connects would then be notified to the very listener it has yet to hand over, so it
 * connects first. supervised_open: the connection (and the call's deadline), or -1 with
 * errno set and said. supervised_exchange: the request on it, as supervised_call; closes
 * conn. Its send (fd_send) is one the filter lets through. */
int supervised_open(double *deadline);
int supervised_exchange(int conn, double deadline, int op, int fd, const struct sockaddr *addr,
			socklen_t len, unsigned *port);

#endif
