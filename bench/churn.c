/* Background traffic: outgoing loopback connections, as a test suite's clients make them,
 * each taking an ephemeral port. Keeps OPEN connections up, replacing the oldest (the client
 * closes first, so its port stays in TIME_WAIT), at up to RATE per second, until SECONDS
 * pass or SIGTERM. Prints "connections N" at the end.
 *   churn [-r RATE] [-k OPEN] [-t SECONDS] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_OPEN 1024

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char *argv[])
{
	static int client[MAX_OPEN], server[MAX_OPEN];
	long rate = 2000, open_max = 64, seconds = 60, count = 0, failed = 0;
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int opt, listener, one = 1;

	while ((opt = getopt(argc, argv, "r:k:t:")) != -1) {
		if (opt == 'r')
			rate = atol(optarg);
		else if (opt == 'k')
			open_max = atol(optarg);
		else if (opt == 't')
			seconds = atol(optarg);
		else
			return 2;
	}
	if (rate < 1 || open_max < 1 || open_max > MAX_OPEN)
		die("usage: churn [-r RATE] [-k OPEN<=%d] [-t SECONDS]", MAX_OPEN);
	signal(SIGTERM, on_term);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(listener, 128) < 0 ||
	    getsockname(listener, (struct sockaddr *)&in, &len) < 0)
		die("listener: %m");
	for (int i = 0; i < open_max; i++)
		client[i] = server[i] = -1;
	uint64_t start = now_ns(), end = start + (uint64_t)seconds * 1000000000u;
	for (long slot = 0; !stop && now_ns() < end; slot = (slot + 1) % open_max) {
		/* pace: connection number count is due at start + count / rate */
		uint64_t due = start + (uint64_t)count * 1000000000u / (uint64_t)rate, now = now_ns();
		if (due > now) {
			struct timespec pause = { 0, (long)(due - now > 999999999 ? 999999999 : due - now) };
			nanosleep(&pause, NULL);
		}
		if (client[slot] >= 0) {
			close(client[slot]);
			close(server[slot]);
		}
		client[slot] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(client[slot], (struct sockaddr *)&in, sizeof(in)) < 0) {
			failed++; /* the range may run dry under load: keep going */
			close(client[slot]);
			client[slot] = server[slot] = -1;
			count++;
			continue;
		}
		server[slot] = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		count++;
	}
	printf("connections %ld failed %ld\n", count, failed);
	return 0;
}
