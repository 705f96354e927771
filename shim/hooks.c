/* The two symbols libepr.so exports. Each is one call into the code that does the work. */
#include "rewrite.h"

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return rewrite_bind(fd, addr, len);
}

int listen(int fd, int backlog)
{
	return export_listen(fd, backlog);
}
