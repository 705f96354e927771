/* --wait-http: one HTTP/1.1 GET at a time on EPR_PORT's address, on a non-blocking socket
 * that the supervisor polls: connect, send, read the status line. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"

/* Where EPR_PORT listens, as a client reaches it: a wildcard means loopback. */
static bool http_address(const struct launch_state *l, struct sockaddr_storage *to, socklen_t *len)
{
	const struct launch_export *e = launch_first_export(l);

	if (!e || !e->addrlen)
		return false;
	memcpy(to, &e->addr, e->addrlen);
	*len = e->addrlen;
	if (to->ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)to;

		if (in->sin_addr.s_addr == htonl(INADDR_ANY))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (to->ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)to;

		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
	}
	return true;
}

void wait_http_fail(struct launch_wait *w, const char *fmt, const char *detail)
{
	snprintf(w->http_last, sizeof w->http_last, fmt, detail);
	if (w->http_fd >= 0)
		close(w->http_fd);
	w->http_fd = -1;
	w->http_next = now_seconds() + HTTP_RETRY;
}

void wait_http_begin(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	struct sockaddr_storage to;
	socklen_t len;

	if (!http_address(l, &to, &len)) {
		wait_http_fail(w, "%s", "no address to connect to");
		return;
	}
	w->http_fd = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->http_fd < 0) {
		wait_http_fail(w, "socket: %s", strerror(errno));
		return;
	}
	w->http_sent = false;
	w->http_reply_len = 0;
	w->http_deadline = now_seconds() + HTTP_ATTEMPT;
	if (connect(w->http_fd, (struct sockaddr *)&to, len) != 0 && errno != EINPROGRESS)
		wait_http_fail(w, "%s", strerror(errno));
}

static void http_send(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	const struct launch_export *e = launch_first_export(l);
	char request[1024];
	int err = 0, n;
	socklen_t len = sizeof err;

	if (getsockopt(w->http_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err) {
		wait_http_fail(w, "%s", strerror(err));
		return;
	}
	n = snprintf(request, sizeof request,
		     "GET %s HTTP/1.1\r\nHost: localhost:%u\r\nUser-Agent: epr/" EPR_VERSION
		     "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		     w->http_path, e ? (unsigned)e->port : 0u);
	/* A request this small goes out whole into an empty socket buffer. */
	if (send(w->http_fd, request, (size_t)n, MSG_NOSIGNAL) != n) {
		wait_http_fail(w, "sending the request: %s", strerror(errno));
		return;
	}
	w->http_sent = true;
}

/* Reads the status line: "HTTP/1.1 200 OK". */
static void http_receive(struct launch_wait *w)
{
	size_t room = sizeof w->http_reply - 1 - w->http_reply_len;
	ssize_t n = recv(w->http_fd, w->http_reply + w->http_reply_len, room, 0);
	char *eol, status[WAIT_LAST];
	int code = 0, used = 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		wait_http_fail(w, "%s", strerror(errno));
		return;
	}
	w->http_reply_len += (size_t)n;
	w->http_reply[w->http_reply_len] = '\0';
	eol = strchr(w->http_reply, '\n');
	if (!eol && n > 0 && w->http_reply_len + 1 < sizeof w->http_reply)
		return; /* more to come */
	if (!eol && w->http_reply_len == 0) {
		wait_http_fail(w, "%s", "the connection was closed without an answer");
		return;
	}
	wait_printable(status, sizeof status, w->http_reply,
		  eol ? (size_t)(eol - w->http_reply) : w->http_reply_len);
	if (sscanf(w->http_reply, "HTTP/%*d.%*d %3d%n", &code, &used) != 1 || code < 100 || code > 999) {
		wait_http_fail(w, "not an HTTP answer: \"%s\"", status);
		return;
	}
	if (code >= 200 && code <= 299) {
		close(w->http_fd);
		w->http_fd = -1;
		w->http_done = true;
		return;
	}
	/* "status 503 Service Unavailable": the line without its version */
	wait_http_fail(w, "status %s", status + strcspn(status, " ") + (status[strcspn(status, " ")] != '\0'));
}

void wait_http_event(struct launch_state *l, short revents)
{
	struct launch_wait *w = &l->wait;

	if (!w->http_sent && (revents & (POLLOUT | POLLERR | POLLHUP)))
		http_send(l);
	else if (w->http_sent && (revents & (POLLIN | POLLERR | POLLHUP)))
		http_receive(w);
}
