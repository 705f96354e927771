/* epr is not preloaded with its own shim, so common code's socket calls go straight to libc. */
#include "sys_socket.h"

int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}
