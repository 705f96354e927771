/* Which local ports have sockets, from the kernel's own tables (sock_diag), without
 * touching the ports: a probing bind could take a port from the server it waits for. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hold.h"

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum { ST_LISTEN = 10, ST_TIME_WAIT = 6, ST_BOUND_INACTIVE = 13 };

static int dump_request(int fd, int family, int protocol, uint32_t states)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = (uint8_t)protocol;
	msg.req.idiag_states = states;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* Reads the dump's answers into set until NLMSG_DONE; 0 or -errno. */
static int dump_read(int fd, struct port_set *set)
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			uint16_t port;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EPROTO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			port = ntohs(m->id.idiag_sport);
			set->bits[port / 64] |= (uint64_t)1 << (port % 64);
		}
	}
}

static int scan_one(int family, int protocol, uint32_t states, struct port_set *set)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), result;

	if (fd < 0)
		return -errno;
	result = dump_request(fd, family, protocol, states);
	if (result == 0)
		result = dump_read(fd, set);
	close(fd);
	return result;
}

int port_usage_scan(int what, struct port_set *set)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint32_t tcp_states = what == PORT_USAGE_LISTEN
				      ? 1u << ST_LISTEN
				      : ~(1u << ST_TIME_WAIT); /* with ST_BOUND_INACTIVE: idle binds */
	int result;

	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		result = scan_one(families[i], IPPROTO_TCP, tcp_states, set);
		/* no IPv6 in this kernel: nothing of IPv6 to see */
		if (result == -EAFNOSUPPORT || (result == -ENOENT && families[i] == AF_INET6))
			result = 0;
		if (result == 0 && what == PORT_USAGE_ANY)
			result = scan_one(families[i], IPPROTO_UDP, ~0u, set);
		if (result == -EAFNOSUPPORT || (result == -ENOENT && families[i] == AF_INET6))
			result = 0;
		if (result < 0)
			return result;
	}
	return 0;
}
