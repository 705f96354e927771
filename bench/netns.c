/* A private network namespace per driver run: its reservations leave TIME_WAIT sockets for
 * 60 s, and thousands of them must neither pollute the host nor skew the next run. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range"

static void copy_file(const char *path, char *buf, size_t cap, int write_it)
{
	int fd = open(path, write_it ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	n = write_it ? write(fd, buf, strlen(buf)) : read(fd, buf, cap - 1);
	if (n < 0)
		die("%s: %s", path, strerror(errno));
	if (!write_it)
		buf[n] = '\0';
	close(fd);
}

void netns_enter(void)
{
	char range[64];
	struct ifreq ifr;
	int fd;

	/* A new namespace starts with the kernel's default range, not the host's. */
	copy_file(PORT_RANGE, range, sizeof(range), 0);
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWNET): %s (run as root)", strerror(errno));
	copy_file(PORT_RANGE, range, sizeof(range), 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("lo up: %s", strerror(errno));
	close(fd);
}
