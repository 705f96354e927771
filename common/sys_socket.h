/* The socket calls that common code makes, bound differently by each program: libepr.so
 * must reach the next bind()/listen() in the chain, never its own hooks; epr makes raw
 * system calls, which LD_PRELOAD cannot interpose. */
#ifndef EPR_SYS_SOCKET_H
#define EPR_SYS_SOCKET_H

#include <sys/socket.h>

int sys_bind(int fd, const struct sockaddr *addr, socklen_t len);
int sys_listen(int fd, int backlog);

#endif
