/* The rewritten bind() and the exporting listen(). */
#ifndef EPR_REWRITE_H
#define EPR_REWRITE_H

#include <sys/socket.h>

int rewrite_bind(int fd, const struct sockaddr *addr, socklen_t len);
int export_listen(int fd, int backlog);

#endif
