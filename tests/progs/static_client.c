/* A client that the shim cannot reach (the Makefile links it with -static), for
 * tests/seccomp_connect.bats. Each mode prints one line per step, "OK ..." or the errno's
 * name, so that a test can compare it with the same call made without epr.
 *   static_client tcp HOST PORT        connect; send "hi\n"; print the first line answered
 *   static_client nb HOST PORT         a non-blocking connect: its errno (or OK), then
 *                                      after poll (at most 5 s) SO_ERROR's
 *   static_client fill HOST PORT N     N blocking connects one after another, kept open:
 *                                      "connecting I" before and "connected I" after each
 *   static_client sendto HOST PORT     a UDP datagram "ping" with sendto; the reply
 *   static_client sendmsg HOST PORT    the same with sendmsg (two iovecs), and the reply
 *   static_client udpconnect HOST PORT UDP connect, then send(); the reply
 *   static_client unix PATH            connect a unix stream socket to PATH
 * Replies are awaited 5 s at most. Exits 0 once the mode ran, whatever the calls said. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_storage dest;
static socklen_t dest_len;

static void parse(const char *host, const char *port)
{
	unsigned long p = strtoul(port, NULL, 10);

	memset(&dest, 0, sizeof(dest));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&dest)->sin_addr) == 1) {
		dest.ss_family = AF_INET;
		((struct sockaddr_in *)&dest)->sin_port = htons((uint16_t)p);
		dest_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&dest)->sin6_addr) == 1) {
		dest.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&dest)->sin6_port = htons((uint16_t)p);
		dest_len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "static_client: '%s' is not an IPv4 or IPv6 address\n", host);
		exit(2);
	}
}

static void say(const char *what, int rc)
{
	if (rc < 0)
		printf("%s %s\n", what, strerrorname_np(errno));
	else
		printf("%s OK\n", what);
	fflush(stdout);
}

static int sock(int type)
{
	int fd = socket(dest.ss_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("static_client: socket");
		exit(1);
	}
	return fd;
}

/* The first reply on fd within 5 s, printed as "reply TEXT". */
static void reply(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	ssize_t n;

	if (poll(&p, 1, 5000) != 1) {
		printf("reply none\n");
		return;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		printf("reply %s\n", strerrorname_np(errno));
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("reply %s\n", buf);
}

static void tcp(void)
{
	int fd = sock(SOCK_STREAM), rc = connect(fd, (struct sockaddr *)&dest, dest_len);

	say("connect", rc);
	if (rc == 0 && send(fd, "hi\n", 3, MSG_NOSIGNAL) == 3)
		reply(fd);
}

static void nonblocking(void)
{
	int fd = sock(SOCK_STREAM | SOCK_NONBLOCK), err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	say("connect", connect(fd, (struct sockaddr *)&dest, dest_len));
	if (poll(&p, 1, 5000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		printf("done none\n");
		return;
	}
	errno = err;
	say("done", err ? -1 : 0);
}

static void fill(int n)
{
	for (int i = 1; i <= n; i++) {
		int fd = sock(SOCK_STREAM);

		printf("connecting %d\n", i);
		fflush(stdout);
		if (connect(fd, (struct sockaddr *)&dest, dest_len) < 0) {
			printf("connect %d %s\n", i, strerrorname_np(errno));
			return;
		}
		printf("connected %d\n", i);
		fflush(stdout);
	}
}

static void udp(const char *mode)
{
	int fd = sock(SOCK_DGRAM);
	ssize_t rc;

	if (strcmp(mode, "sendto") == 0) {
		rc = sendto(fd, "ping", 4, 0, (struct sockaddr *)&dest, dest_len);
	} else if (strcmp(mode, "sendmsg") == 0) {
		struct iovec iov[2] = { { "pi", 2 }, { "ng", 2 } };
		struct msghdr m = { .msg_name = &dest, .msg_namelen = dest_len, .msg_iov = iov,
				    .msg_iovlen = 2 };
		rc = sendmsg(fd, &m, 0);
	} else {
		rc = connect(fd, (struct sockaddr *)&dest, dest_len);
		say("connect", (int)rc);
		if (rc == 0)
			rc = send(fd, "ping", 4, 0);
	}
	if (rc >= 0 && rc != 4) {
		printf("%s sent %zd of 4 bytes\n", mode, rc);
		return;
	}
	say(mode, (int)rc);
	if (rc == 4)
		reply(fd);
}

static void unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	say("connect", connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
}

int main(int argc, char *argv[])
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "unix") == 0 && argc == 3) {
		unix_connect(argv[2]);
		return 0;
	}
	if (argc < 4 || (strcmp(mode, "fill") == 0) != (argc == 5)) {
		fprintf(stderr, "usage: static_client tcp|nb|sendto|sendmsg|udpconnect HOST PORT | "
			"fill HOST PORT N | unix PATH\n");
		return 2;
	}
	parse(argv[2], argv[3]);
	if (strcmp(mode, "tcp") == 0)
		tcp();
	else if (strcmp(mode, "nb") == 0)
		nonblocking();
	else if (strcmp(mode, "fill") == 0)
		fill(atoi(argv[4]));
	else
		udp(mode);
	return 0;
}
