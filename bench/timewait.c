/* Fills the namespace with N TIME_WAIT sockets made by loopback connections whose accepted
 * side closes first (the active closer is the one left in TIME_WAIT).
 *   timewait [-m distinct|shared] [-t SECONDS] N
 * distinct: a listener per connection, so each TIME_WAIT holds its own port (what N earlier
 *           reservations leave behind); shared: one listener, all on one port (a busy
 *           server). Stops after SECONDS (default 60). Prints "timewait MADE SECONDS". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

static int listener_on(struct sockaddr_in *in)
{
	socklen_t len = sizeof(*in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	in->sin_port = 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)in, sizeof(*in)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)in, &len) < 0)
		return -1;
	return fd;
}

/* One connection closed accepted-side first; 0, or -1 if the ports ran out. */
static int one_timewait(int listener, const struct sockaddr_in *in)
{
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), accepted;

	if (client < 0 || connect(client, (const struct sockaddr *)in, sizeof(*in)) < 0) {
		close(client);
		return -1;
	}
	accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	close(accepted);
	close(client);
	return accepted < 0 ? -1 : 0;
}

int main(int argc, char *argv[])
{
	int opt, distinct = 1, listener = -1;
	long want, made = 0, seconds = 60;
	struct sockaddr_in in;

	while ((opt = getopt(argc, argv, "m:t:")) != -1) {
		if (opt == 'm')
			distinct = strcmp(optarg, "shared") != 0;
		else if (opt == 't')
			seconds = atol(optarg);
		else
			return 2;
	}
	if (optind != argc - 1)
		die("usage: timewait [-m distinct|shared] [-t SECONDS] N");
	want = atol(argv[optind]);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	uint64_t start = now_ns(), end = start + (uint64_t)seconds * 1000000000u;
	while (made < want && now_ns() < end) {
		int rc;

		if (listener < 0 && (listener = listener_on(&in)) < 0)
			break;
		rc = one_timewait(listener, &in);
		if (distinct) {
			close(listener);
			listener = -1;
		}
		if (rc < 0)
			break;
		made++;
	}
	printf("timewait %ld %.2f\n", made, (double)(now_ns() - start) / 1e9);
	return made == want ? 0 : 1;
}
