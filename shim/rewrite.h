/* The rewritten bind() and the exporting listen(). */
#ifndef EPR_REWRITE_H
#define EPR_REWRITE_H

#include <stdint.h>
#include <sys/socket.h>

int rewrite_bind(int fd, const struct sockaddr *addr, socklen_t len);
int export_listen(int fd, int backlog);
/* Exports port (for sentinel) now, as a listen() would: for a UDP sentinel bind. 0, or -1
 * with errno set (logged); the bound socket is then shut down. errno kept on success. */
int export_bound(int fd, uint16_t port, uint16_t sentinel);

#endif
