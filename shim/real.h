/* The next connect, send and name calls in the symbol chain (libc's, or another preloaded
 * library's), for the hooks and for the shim's own sockets. bind and listen: sys_socket.h. */
#ifndef EPR_REAL_H
#define EPR_REAL_H

#include <sys/socket.h>
#include <sys/types.h>

int sys_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t sys_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
		   socklen_t len);
ssize_t sys_sendmsg(int fd, const struct msghdr *msg, int flags);
int sys_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);
int sys_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int sys_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

#endif
