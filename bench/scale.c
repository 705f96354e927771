/* The cost of one reservation (common/reserve.c's reserve_port on 127.0.0.1) as TIME_WAIT
 * sockets pile up, and where the ephemeral range runs out.
 *   scale measure K          K reservations: "measure MEDIAN_NS P90_NS K"
 *   scale exhaust MAX SECS   reserve until failure, MAX reservations or SECS seconds:
 *                            "exhaust MADE SECONDS RANGE ERROR", then "band PCT MEDIAN_NS"
 *                            for each tenth of the range that filled */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"
#include "reserve.h"
#include "sys_socket.h"

int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

static long range_size(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	long low = 0, high = -1;

	if (!f || fscanf(f, "%ld %ld", &low, &high) != 2)
		die("ip_local_port_range: unreadable");
	fclose(f);
	return high - low + 1;
}

static int reserve_once(uint64_t *ns)
{
	struct sockaddr_in in;
	uint64_t t0;
	int port;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t0 = now_ns();
	port = reserve_port((struct sockaddr *)&in, sizeof(in), 0);
	*ns = now_ns() - t0;
	return port;
}

int main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "measure") == 0) {
		size_t k = strtoul(argv[2], NULL, 10);
		uint64_t *t = calloc(k, sizeof(*t));

		for (size_t i = 0; i < k; i++) {
			int port = reserve_once(&t[i]);
			if (port < 0)
				die("reserve_port: %s", strerror(-port));
		}
		uint64_t p90 = quantile(t, k, 0.9);
		printf("measure %llu %llu %zu\n", (unsigned long long)quantile(t, k, 0.5),
		       (unsigned long long)p90, k);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "exhaust") == 0) {
		long max = atol(argv[2]), range = range_size(), made = 0;
		uint64_t *t = calloc((size_t)max, sizeof(*t)), end = now_ns() + strtoull(argv[3], NULL, 10) * 1000000000u;
		uint64_t start = now_ns();
		int port = 0;

		while (made < max && now_ns() < end) {
			port = reserve_once(&t[made]);
			if (port < 0)
				break;
			made++;
		}
		printf("exhaust %ld %.2f %ld %s\n", made, (double)(now_ns() - start) / 1e9, range,
		       port < 0 ? strerror(-port) : "none");
		for (int band = 0; band < 10; band++) {
			long from = range * band / 10, to = range * (band + 1) / 10;
			if (to > made)
				to = made;
			if (from >= to)
				break;
			printf("band %d %llu\n", band * 10,
			       (unsigned long long)quantile(t + from, (size_t)(to - from), 0.5));
		}
		return 0;
	}
	die("usage: scale measure K | scale exhaust MAX SECONDS");
}
