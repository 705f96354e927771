/* The cost of one connect() as the program sees it, for comparing it bare and under epr's
 * seccomp filter side by side: N times socket, connect(127.0.0.1:PORT), close, against a
 * listener of its own on PORT (accepted and closed each time, so the backlog never fills);
 * prints the median and p90 of the connect alone, in ns.
 *   seccomp_connect_loop N PORT   under epr run --via seccomp: PORT no sentinel, every
 *                                 connect is a pass-through; with -p PORT, each is
 *                                 redirected to the launch's port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char *argv[])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t *ns;
	int n, port, one = 1, listener;

	if (argc != 3 || (n = atoi(argv[1])) < 1 || (port = atoi(argv[2])) < 1 || port > 65535)
		die("usage: seccomp_connect_loop N PORT");
	ns = calloc((size_t)n, sizeof *ns);
	if (!ns)
		die("out of memory");
	a.sin_port = htons((uint16_t)port);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(listener, (struct sockaddr *)&a, sizeof a) != 0 || listen(listener, 16) != 0)
		die("listener on 127.0.0.1:%d: %m", port);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), peer;
		uint64_t t0;

		if (fd < 0)
			die("socket: %m");
		t0 = now_ns();
		if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
			die("connect: %m");
		ns[i] = now_ns() - t0;
		peer = accept(listener, NULL, NULL);
		if (peer < 0)
			die("accept: %m");
		close(peer); /* the server's side first: its TIME_WAIT, not an ephemeral port's */
		close(fd);
	}
	printf("%llu %llu\n", (unsigned long long)quantile(ns, (size_t)n, 0.5),
	       (unsigned long long)quantile(ns, (size_t)n, 0.9));
	return 0;
}
