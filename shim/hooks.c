/* The socket symbols libepr.so exports. Each is one call into the code that does the work. */
#include "mask.h"
#include "redirect.h"
#include "rewrite.h"

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return rewrite_bind(fd, addr, len);
}

int listen(int fd, int backlog)
{
	return export_listen(fd, backlog);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return redirect_connect(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len)
{
	return redirect_sendto(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return redirect_sendmsg(fd, msg, flags);
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	return redirect_sendmmsg(fd, vec, vlen, flags);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return mask_getsockname(fd, addr, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return mask_getpeername(fd, addr, len);
}
