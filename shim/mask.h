/* getsockname() and getpeername() inside a launch: the program sees its sentinel. */
#ifndef EPR_MASK_H
#define EPR_MASK_H

#include <sys/socket.h>

int mask_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int mask_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

#endif
