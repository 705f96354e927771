/* Passing one descriptor with a message over a unix socket (SCM_RIGHTS), as the shim, the
 * supervisor and the seccomp filter's child all do. No malloc, no stdio: the shim calls it
 * from inside the host's bind(). */
#ifndef EPR_FD_PASS_H
#define EPR_FD_PASS_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of data with fd attached; the bytes sent, or -1 with errno set. EINTR is
 * retried and a closed peer gives EPIPE, never SIGPIPE. */
ssize_t fd_send(int sock, const void *data, size_t len, int fd);

/* Receives up to len bytes and the one descriptor sent with them (close-on-exec) into *fd,
 * -1 if none came. The bytes received, or -1 with errno set: EMSGSIZE when the data or the
 * control part was cut short (a descriptor that came anyway is closed). */
ssize_t fd_recv(int sock, void *data, size_t len, int *fd);

#endif
