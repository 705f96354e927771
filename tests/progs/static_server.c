/* A TCP server that the shim cannot reach (the Makefile links it with -static), for the
 * seccomp suites.
 *   static_server [-d] [-t SECONDS] [-n ANSWERS] ADDR PORT [ADDR PORT...]
 * Binds each ADDR PORT (IPv4 or IPv6; IPv6 is V6ONLY unless -d asks for dual-stack), listens,
 * prints "LISTEN ADDR PORT" with the port getsockname gives, then answers each line a client
 * sends with "hello from PORT". Exits after ANSWERS answers or SECONDS (default 10). A failed
 * bind prints "bind ADDR PORT: ERRNAME (message)" on stderr and exits 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS 8

static int open_listener(const char *host, const char *port_text, int dual)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, v6only = !dual;
	unsigned long port = strtoul(port_text, NULL, 10);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "static_server: '%s' is not an IPv4 or IPv6 address\n", host);
		exit(2);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)) {
		perror("static_server: socket");
		exit(1);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int err = errno;
		fprintf(stderr, "bind %s %s: %s (%s)\n", host, port_text, strerrorname_np(err),
			strerror(err));
		exit(1);
	}
	if (listen(fd, 16) < 0) {
		perror("static_server: listen");
		exit(1);
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	printf("LISTEN %s %u\n", host,
	       ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port));
	fflush(stdout);
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one line (bounded: 2 s) and answers it. */
static void answer(int listener)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char line[256], reply[64];
	struct pollfd p;
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	p.fd = fd, p.events = POLLIN;
	if (poll(&p, 1, 2000) == 1 && read(fd, line, sizeof(line)) >= 0) {
		getsockname(fd, (struct sockaddr *)&ss, &len);
		snprintf(reply, sizeof(reply), "hello from %u\n",
			 ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						       : ((struct sockaddr_in6 *)&ss)->sin6_port));
		if (write(fd, reply, strlen(reply)) < 0)
			perror("static_server: write");
	}
	close(fd);
}

int main(int argc, char *argv[])
{
	struct pollfd fds[MAX_LISTENERS];
	int opt, dual = 0, answers = -1, n = 0;
	double seconds = 10, deadline;

	while ((opt = getopt(argc, argv, "dt:n:")) != -1) {
		if (opt == 'd')
			dual = 1;
		else if (opt == 't')
			seconds = atof(optarg);
		else if (opt == 'n')
			answers = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 2 || (argc - optind) % 2 || (argc - optind) / 2 > MAX_LISTENERS) {
		fprintf(stderr, "usage: static_server [-d] [-t SECONDS] [-n ANSWERS] ADDR PORT...\n");
		return 2;
	}
	for (int i = optind; i < argc; i += 2, n++) {
		fds[n].fd = open_listener(argv[i], argv[i + 1], dual);
		fds[n].events = POLLIN;
	}
	deadline = now() + seconds;
	while (answers != 0 && now() < deadline) {
		int left = (int)((deadline - now()) * 1000) + 1;

		if (poll(fds, (nfds_t)n, left) <= 0)
			continue;
		for (int i = 0; i < n && answers != 0; i++)
			if (fds[i].revents & POLLIN) {
				answer(fds[i].fd);
				if (answers > 0)
					answers--;
			}
	}
	return 0;
}
