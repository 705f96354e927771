/* Log lines for the shim. Whole lines in one write(2) so that concurrent threads and
 * processes do not interleave inside a line. */
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

void log_str(struct logline *l, const char *s)
{
	size_t n = strlen(s), room = sizeof(l->text) - 1 - l->len; /* keep one byte for '\n' */

	if (n > room)
		n = room;
	memcpy(l->text + l->len, s, n);
	l->len += n;
}

void log_num(struct logline *l, unsigned long n)
{
	char buf[24];
	size_t i = sizeof(buf) - 1;

	buf[i] = '\0';
	do
		buf[--i] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	log_str(l, buf + i);
}

void log_start(struct logline *l, const char *level)
{
	l->len = 0;
	log_str(l, "libepr: ");
	log_str(l, program_invocation_short_name);
	log_str(l, "[");
	log_num(l, (unsigned long)getpid());
	log_str(l, "]: ");
	if (level) {
		log_str(l, level);
		log_str(l, ": ");
	}
}

void log_errno(struct logline *l, int err)
{
	/* strerrordesc_np is a table lookup: no locale, no allocation. */
	const char *desc = strerrordesc_np(err);

	log_str(l, desc ? desc : "unknown error");
}

void log_addr(struct logline *l, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		log_str(l, "[");
		log_str(l, host);
		log_str(l, "]");
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		log_str(l, host);
	}
	log_str(l, ":");
	log_num(l, port);
}

void log_end(struct logline *l)
{
	int saved = errno;
	const char *p = l->text;
	size_t left;

	l->text[l->len++] = '\n';
	left = l->len;
	while (left) {
		ssize_t put = write(STDERR_FILENO, p, left);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			break;
		p += put;
		left -= (size_t)put;
	}
	errno = saved;
}
