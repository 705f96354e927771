/* The cost of one bind() as the program sees it, for comparing interceptors side by side:
 * N times socket, bind(127.0.0.1:PORT), close; prints the median and p90 in ns.
 *   bind_loop N PORT      PORT 0 is rewritten under epr (a reservation each time); any
 *                         other port that is no sentinel passes through. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char *argv[])
{
	uint64_t *ns;
	int n, port, one = 1;

	if (argc != 3 || (n = atoi(argv[1])) < 1 || (port = atoi(argv[2])) < 0 || port > 65535)
		die("usage: bind_loop N PORT");
	ns = calloc((size_t)n, sizeof *ns);
	if (!ns)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		uint64_t t0;

		if (fd < 0)
			die("socket: %m");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		t0 = now_ns();
		if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
			die("bind: %m");
		ns[i] = now_ns() - t0;
		close(fd);
	}
	printf("%llu %llu\n", (unsigned long long)quantile(ns, (size_t)n, 0.5),
	       (unsigned long long)quantile(ns, (size_t)n, 0.9));
	return 0;
}
