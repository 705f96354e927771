/* epr's own sockets reach the kernel directly: epr may run under the shim (a launcher
 * script that calls epr reserve), and libc's bind/listen are what LD_PRELOAD interposes. */
#include <sys/syscall.h>
#include <unistd.h>

#include "sys_socket.h"

int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)syscall(SYS_bind, fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return (int)syscall(SYS_listen, fd, backlog);
}
