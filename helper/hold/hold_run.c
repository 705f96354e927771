/* The holder behind epr reserve --hold: renews each port's TIME_WAIT until a server listens
 * on it, the hold's time is up, or the process it waits for exits. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "hold.h"

int hold_pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

struct held {
	struct sockaddr_storage addr;
	double renewed_at;
	bool active;
};

static struct held *held_ports(const uint16_t *ports, int n, const struct sockaddr_storage *addr)
{
	struct held *h = calloc((size_t)n, sizeof(*h));
	double now = now_seconds();

	for (int i = 0; h && i < n; i++) {
		h[i].addr = *addr;
		if (addr->ss_family == AF_INET6)
			((struct sockaddr_in6 *)&h[i].addr)->sin6_port = htons(ports[i]);
		else
			((struct sockaddr_in *)&h[i].addr)->sin_port = htons(ports[i]);
		h[i].renewed_at = now; /* the reservation itself just left a TIME_WAIT */
		h[i].active = true;
	}
	return h;
}

static uint16_t held_port(const struct held *h)
{
	return ntohs(h->addr.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&h->addr)->sin6_port
						   : ((const struct sockaddr_in *)&h->addr)->sin_port);
}

/* One look at the ports: a listener ends a port's hold; a due renewal renews it. The number
 * of ports still held. */
static int hold_tick(struct held *h, int n, socklen_t len)
{
	struct port_set listeners;
	bool seen = port_usage_scan(PORT_USAGE_LISTEN, &listeners) == 0;
	int left = 0;

	for (int i = 0; i < n; i++) {
		if (!h[i].active)
			continue;
		if (seen && port_set_has(&listeners, held_port(&h[i]))) {
			h[i].active = false;
			continue;
		}
		if (now_seconds() - h[i].renewed_at >= HOLD_RENEW_SECONDS) {
			int r = hold_renew((struct sockaddr *)&h[i].addr, len);

			if (r == 0)
				h[i].renewed_at = now_seconds();
			else if (r == -EADDRINUSE) /* without sock_diag, the renewal finds the server */
				h[i].active = false;
		}
		left += h[i].active;
	}
	return left;
}

_Noreturn void hold_run(const uint16_t *ports, int n, const struct sockaddr_storage *addr,
			socklen_t len, double deadline, int pidfd)
{
	struct held *h = held_ports(ports, n, addr);
	struct pollfd owner = { .fd = pidfd, .events = POLLIN };

	if (!h)
		_exit(1);
	for (;;) {
		double wait = HOLD_TICK_SECONDS;

		if (deadline > 0) {
			double left = deadline - now_seconds();

			if (left <= 0)
				break;
			if (left < wait)
				wait = left;
		}
		if (poll(&owner, 1, (int)(wait * 1000) + 1) > 0) /* fd -1: a plain sleep */
			break;
		if (hold_tick(h, n, len) == 0)
			break;
	}
	_exit(0);
}
