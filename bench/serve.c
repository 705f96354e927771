/* A server as the collision test starts it: bind ADDR:PORT with SO_REUSEADDR, listen, and
 * keep listening for HOLD_MS so that every server of a trial is up at the same time.
 *   serve ADDR PORT HOLD_MS
 * Exit status: 0 listening, 10 bind EADDRINUSE, 11 listen EADDRINUSE, 12 another error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct sockaddr_in in;
	int fd, one = 1;
	long hold;
	struct timespec pause;

	if (argc != 4)
		return 12;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)atoi(argv[2]));
	hold = atol(argv[3]);
	if (inet_pton(AF_INET, argv[1], &in.sin_addr) != 1 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 12;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0) {
		fprintf(stderr, "serve: bind %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return errno == EADDRINUSE ? 10 : 12;
	}
	if (listen(fd, 16) < 0) {
		fprintf(stderr, "serve: listen %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return errno == EADDRINUSE ? 11 : 12;
	}
	pause.tv_sec = hold / 1000;
	pause.tv_nsec = hold % 1000 * 1000000;
	nanosleep(&pause, NULL);
	return 0;
}
