/* A server that checks its socket against its configuration, as some real ones do: it binds
 * 127.0.0.1:PORT, listens, and on each connection compares getsockname() of the accepted
 * socket with PORT. It answers "port PORT\n" and closes when they agree; otherwise it closes
 * at once, without a byte, as such servers drop connections they think are not theirs.
 *   port_check_server PORT
 * First it prints "LISTEN <port getsockname says>" and "TRUNC <line>", the latter from a
 * getsockname() given 4 bytes: "TRUNC ok" when it wrote those 4 bytes and no more, and said
 * the full length. Serves until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int port_of(int fd)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);

	if (getsockname(fd, (struct sockaddr *)&in, &len) < 0 || in.sin_family != AF_INET)
		return -1;
	return ntohs(in.sin_port);
}

/* getsockname() into 4 bytes of a buffer filled with 0xee: the family and the port. */
static const char *truncation(int fd, int want)
{
	unsigned char buf[sizeof(struct sockaddr_in)];
	socklen_t len = 4;
	uint16_t family, port;

	memset(buf, 0xee, sizeof(buf));
	if (getsockname(fd, (struct sockaddr *)buf, &len) < 0)
		return "failed";
	if (len != sizeof(struct sockaddr_in))
		return "wrong length";
	for (size_t i = 4; i < sizeof(buf); i++)
		if (buf[i] != 0xee)
			return "wrote past the length given";
	memcpy(&family, buf, 2);
	memcpy(&port, buf + 2, 2);
	return family == AF_INET && ntohs(port) == want ? "ok" : "wrong port";
}

int main(int argc, char *argv[])
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int port, listener, one = 1;

	if (argc != 2 || (port = atoi(argv[1])) < 1 || port > 65535) {
		fprintf(stderr, "usage: port_check_server PORT\n");
		return 2;
	}
	in.sin_port = htons((uint16_t)port);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listener < 0 || bind(listener, (struct sockaddr *)&in, sizeof(in)) < 0 ||
	    listen(listener, 16) < 0) {
		perror("port_check_server");
		return 1;
	}
	printf("LISTEN %d\nTRUNC %s\n", port_of(listener), truncation(listener, port));
	fflush(stdout);
	for (;;) {
		int conn = accept(listener, NULL, NULL);

		if (conn < 0)
			continue;
		if (port_of(conn) == port)
			dprintf(conn, "port %d\n", port);
		close(conn);
	}
}
