/* connect(), sendto(), sendmsg() and sendmmsg() inside a launch: a destination that is a
 * sentinel on this host goes to the launch's port for it. */
#ifndef EPR_REDIRECT_H
#define EPR_REDIRECT_H

#include <sys/socket.h>
#include <sys/types.h>

int redirect_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t redirect_sendto(int fd, const void *buf, size_t n, int flags,
			const struct sockaddr *addr, socklen_t len);
ssize_t redirect_sendmsg(int fd, const struct msghdr *msg, int flags);
int redirect_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);

#endif
