/* Under epr run/start: binds and listens handed to the launch's supervisor. */
#ifndef EPR_SUPERVISED_H
#define EPR_SUPERVISED_H

#include <sys/socket.h>

/* Asks the supervisor named in the configuration. Returns 0 (done), 1 (make the bind as
 * asked) or -1 with errno set; *port is the port bound. Logs a libepr: line when the
 * supervisor cannot be reached. */
int supervised_call(int op, int fd, const struct sockaddr *addr, socklen_t len, unsigned *port);

#endif
