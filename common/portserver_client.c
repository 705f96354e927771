/* The portserver protocol, client side: one connection per request. */
#include "portserver_client.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Fills un from address; its length, or 0 when address cannot be one. */
static socklen_t unix_address(const char *address, struct sockaddr_un *un)
{
	size_t n = address ? strlen(address) : 0;

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(un->sun_path))
		return 0;
	memcpy(un->sun_path, address, n);
	if (address[0] == '@') /* portpicker's spelling of the abstract namespace's NUL */
		un->sun_path[0] = '\0';
	else
		n++; /* a path's terminating NUL */
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until EOF or a newline; the number of bytes, or -1 with errno. */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
	size_t have = 0;

	while (have < cap) {
		ssize_t r = recv(fd, buf + have, cap - have, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || memchr(buf + have, '\n', (size_t)r))
			return (ssize_t)(have + (size_t)r);
		have += (size_t)r;
	}
	return (ssize_t)have;
}

static int parse_port(const char *buf, size_t n)
{
	long port = 0;
	size_t i = 0;

	for (; i < n && buf[i] >= '0' && buf[i] <= '9' && port <= 65535; i++)
		port = port * 10 + (buf[i] - '0');
	if (i == 0 || port < 1 || port > 65535 || (i < n && buf[i] != '\n' && buf[i] != '\r'))
		return -EPROTO;
	return (int)port;
}

static int request_on(int fd, const struct sockaddr_un *un, socklen_t len, pid_t pid)
{
	struct timeval limit = { 5, 0 };
	char buf[32];
	int n;
	ssize_t got;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)) < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)un, len) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* the decimal pid and a newline, without stdio */
	n = (int)sizeof(buf);
	buf[--n] = '\n';
	for (unsigned long v = (unsigned long)pid; n > 0;) {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
		if (v == 0)
			break;
	}
	if (write_all(fd, buf + n, sizeof(buf) - (size_t)n) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	got = read_line(fd, buf, sizeof(buf));
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (got == 0)
		return -EPERM;
	return parse_port(buf, (size_t)got);
}

int portserver_request(const char *address, pid_t pid)
{
	struct sockaddr_un un;
	socklen_t len = unix_address(address, &un);
	int fd, result, saved;

	if (len == 0 || pid < 1)
		return -EINVAL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	result = request_on(fd, &un, len, pid);
	saved = errno;
	close(fd);
	errno = saved;
	return result;
}
