/* Which TCP sockets listen and which UDP sockets are bound, asked of the kernel through
 * sock_diag (what ss uses): a dump of the listeners only, whatever the number of TIME_WAIT
 * sockets, and of the UDP sockets. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launch.h"

#define TCP_STATE_LISTEN 10

static int dump(int nl, int family, int protocol, unsigned long long *inodes, size_t cap,
		size_t *n)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (unsigned char)family, .sdiag_protocol = (unsigned char)protocol,
			 .idiag_states = protocol == IPPROTO_TCP ? 1u << TCP_STATE_LISTEN : ~0u },
	};
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

	if (send(nl, &msg, sizeof msg, 0) < 0)
		return -1;
	for (;;) {
		ssize_t got = recv(nl, buf, sizeof buf, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		size_t left;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		left = (size_t)got;
		for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				/* No IPv6 on this host: nothing listens there. */
				if (e->error == -ENOENT || e->error == -EAFNOSUPPORT)
					return 0;
				errno = -e->error;
				return -1;
			}
			if (*n < cap)
				inodes[(*n)++] = ((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_inode;
		}
	}
}

int listeners_inodes(unsigned long long *inodes, size_t cap)
{
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	size_t n = 0;
	int rc;

	if (nl < 0)
		return -1;
	rc = dump(nl, AF_INET, IPPROTO_TCP, inodes, cap, &n) == 0 &&
	     dump(nl, AF_INET6, IPPROTO_TCP, inodes, cap, &n) == 0 &&
	     dump(nl, AF_INET, IPPROTO_UDP, inodes, cap, &n) == 0 &&
	     dump(nl, AF_INET6, IPPROTO_UDP, inodes, cap, &n) == 0;
	close(nl);
	return rc ? (int)n : -1;
}
