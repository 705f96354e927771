/* A UDP echo server for the tests: binds a UDP socket to each ADDR:PORT given (IPv6 in
 * brackets, IPV6_V6ONLY on), prints "BOUND <addr> <port>" for each (the port the kernel
 * gave), then echoes every datagram back to its sender.
 *   -s S  stay up S seconds (default 10), or until SIGTERM
 * Exit status 0, or 1 with "ERROR <addr> <errno name>" on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS 8

static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	int port;

	if (!colon || colon - text >= (long)sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	port = atoi(colon + 1);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -1;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	struct pollfd fds[MAX_ADDRS];
	int n = 0, stay = 10, opt, one = 1;
	time_t until;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			return 2;
		stay = atoi(optarg);
	}
	signal(SIGTERM, on_term);
	for (; optind < argc && n < MAX_ADDRS; optind++) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fd;

		if (parse_addr(argv[optind], &ss, &len) < 0) {
			fprintf(stderr, "udp_echo: bad address %s\n", argv[optind]);
			return 2;
		}
		fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
			printf("ERROR %s %s\n", argv[optind], strerrorname_np(errno));
			return 1;
		}
		len = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &len);
		printf("BOUND %s %u\n", argv[optind],
		       ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						      : ((struct sockaddr_in *)&ss)->sin_port));
		fflush(stdout);
		fds[n].fd = fd;
		fds[n++].events = POLLIN;
	}
	until = time(NULL) + stay;
	while (time(NULL) < until) {
		if (poll(fds, (nfds_t)n, 200) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			char buf[512];
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t got;

			if (!(fds[i].revents & POLLIN))
				continue;
			got = recvfrom(fds[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (got >= 0)
				sendto(fds[i].fd, buf, (size_t)got, 0, (struct sockaddr *)&from, flen);
		}
	}
	return 0;
}
