/* A library whose constructor binds port 0 and listens, as some libraries do at load
 * time: it may run before libepr.so's own constructor, and must still be rewritten. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ctor_port = -1;

__attribute__((constructor)) static void bind_at_load(void)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&in, sizeof(in)) == 0 && listen(fd, 1) == 0 &&
	    getsockname(fd, (struct sockaddr *)&in, &len) == 0)
		ctor_port = ntohs(in.sin_port);
}
