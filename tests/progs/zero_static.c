/* Binds 127.0.0.1 port 0, listens, and prints "LISTEN PORT" (statically linked: seccomp). */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
		perror("zero_static: bind/listen");
		close(fd);
		return 1;
	}
	getsockname(fd, (struct sockaddr *)&a, &len);
	printf("LISTEN %d\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}
