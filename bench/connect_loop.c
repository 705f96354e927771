/* The cost of one connect() as the program sees it (issue 19): N rounds of socket, connect,
 * accept, close (an RST: no TIME_WAIT piles up), timing the connect alone; prints medians
 * and p90s in ns.
 *   connect_loop N           "plain MEDIAN P90": connects to a listener on a port the kernel
 *                            chose (no sentinel: a pass-through connect under epr)
 *   connect_loop N S         also listens on 127.0.0.1:S and connects there, interleaved
 *                            with the plain ones; under epr run -p S that connect is
 *                            rewritten: "rewritten MEDIAN P90 FIRST_NS". The listeners are
 *                            passed to a fresh image of this program, which connects: like
 *                            a client, it does not know S's port from a bind of its own, so
 *                            its first connect asks the supervisor (left out of the median). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

static int listener(uint16_t port, struct sockaddr_in *at)
{
	struct sockaddr_in real;
	socklen_t len = sizeof(real);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*at = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)at, sizeof(*at)) < 0 || listen(fd, 64) < 0)
		die("listen on port %u: %m", port);
	/* port 0: connect to what the kernel (or epr) gave; a sentinel: connect to the sentinel */
	if (port == 0) {
		if (getsockname(fd, (struct sockaddr *)&real, &len) < 0)
			die("getsockname: %m");
		at->sin_port = real.sin_port;
	}
	return fd;
}

static uint64_t one_connect(int lfd, const struct sockaddr_in *to)
{
	struct linger rst = { 1, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), conn;
	uint64_t t0, t;

	if (fd < 0)
		die("socket: %m");
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	t0 = now_ns();
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0)
		die("connect to port %u: %m", ntohs(to->sin_port));
	t = now_ns() - t0;
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept: %m");
	close(fd);
	close(conn);
	return t;
}

/* Hands the listeners to a fresh image: "connect_loop -c N S PLAIN_FD PLAIN_PORT S_FD". */
static void exec_client(char *self, const char *n, int s, int plain_fd, uint16_t plain_port,
			int sentinel_fd)
{
	char sbuf[8], pfd[12], pport[8], sfd[12];
	char *args[] = { self, "-c", (char *)n, sbuf, pfd, pport, sfd, NULL };

	fcntl(plain_fd, F_SETFD, 0);
	fcntl(sentinel_fd, F_SETFD, 0);
	snprintf(sbuf, sizeof(sbuf), "%d", s);
	snprintf(pfd, sizeof(pfd), "%d", plain_fd);
	snprintf(pport, sizeof(pport), "%u", plain_port);
	snprintf(sfd, sizeof(sfd), "%d", sentinel_fd);
	execv("/proc/self/exe", args);
	die("exec /proc/self/exe: %m");
}

int main(int argc, char *argv[])
{
	struct sockaddr_in plain_at, sentinel_at;
	int n, s = 0, plain_fd, sentinel_fd = -1;
	uint64_t *plain, *rewritten, first = 0;

	if (argc == 7 && strcmp(argv[1], "-c") == 0) { /* the client image */
		n = atoi(argv[2]);
		s = atoi(argv[3]);
		plain_fd = atoi(argv[4]);
		plain_at = (struct sockaddr_in){ .sin_family = AF_INET,
						 .sin_port = htons((uint16_t)atoi(argv[5])),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		sentinel_fd = atoi(argv[6]);
		sentinel_at = plain_at;
		sentinel_at.sin_port = htons((uint16_t)s);
	} else if (argc < 2 || argc > 3 || (n = atoi(argv[1])) < 1 ||
		   (argc == 3 && ((s = atoi(argv[2])) < 1 || s > 65535))) {
		die("usage: connect_loop N [SENTINEL]");
	} else {
		plain_fd = listener(0, &plain_at);
		if (s) {
			sentinel_fd = listener((uint16_t)s, &sentinel_at);
			exec_client(argv[0], argv[1], s, plain_fd, ntohs(plain_at.sin_port), sentinel_fd);
		}
	}
	if (n < 1)
		die("usage: connect_loop N [SENTINEL]");
	plain = calloc((size_t)n, sizeof(*plain));
	rewritten = calloc((size_t)n, sizeof(*rewritten));
	if (!plain || !rewritten)
		die("out of memory");
	if (s)
		first = one_connect(sentinel_fd, &sentinel_at);
	for (int i = 0; i < n; i++) {
		plain[i] = one_connect(plain_fd, &plain_at);
		if (s)
			rewritten[i] = one_connect(sentinel_fd, &sentinel_at);
	}
	printf("plain %llu %llu\n", (unsigned long long)quantile(plain, (size_t)n, 0.5),
	       (unsigned long long)quantile(plain, (size_t)n, 0.9));
	if (s)
		printf("rewritten %llu %llu %llu\n",
		       (unsigned long long)quantile(rewritten, (size_t)n, 0.5),
		       (unsigned long long)quantile(rewritten, (size_t)n, 0.9), (unsigned long long)first);
	return 0;
}
