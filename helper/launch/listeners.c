/* Which of the launch's sockets still listen (TCP) or are bound (UDP), asked of the kernel
 * through sock_diag (what ss uses). Each dump carries a bytecode filter on the launch's own
 * ports, so the kernel sends only those sockets: however many others the namespace holds,
 * nothing is cut, and a socket missing from an answer is closed. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launch.h"

#define TCP_STATE_LISTEN 10
#define TCP_STATE_BOUND_INACTIVE 13 /* bound, neither listening nor connecting: Linux 6.8 */
#define PORT_TEST (2 * sizeof(struct inet_diag_bc_op))
#define JUMP sizeof(struct inet_diag_bc_op)
#define BYTECODE_MAX (LAUNCH_MAX_EXPORTS * (PORT_TEST + JUMP))

struct request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
	struct nlattr bc_attr;
	unsigned char bc[BYTECODE_MAX];
};

/* The bytecode "local port is ports[0] or ports[1] or ...": each test jumps to a JMP that
 * accepts (it lands on the end) when the port matches, and over it to the next test when
 * not; the last test's "no" lands past the end, which rejects. Its length in bytes. */
static size_t port_filter(unsigned char *bc, const uint16_t *ports, size_t n)
{
	size_t len = n * PORT_TEST + (n - 1) * JUMP, at = 0;

	for (size_t i = 0; i < n; i++) {
		struct inet_diag_bc_op test[2] = {
			{ INET_DIAG_BC_S_EQ, PORT_TEST, PORT_TEST + JUMP },
			{ 0, 0, ports[i] },
		};

		memcpy(bc + at, test, sizeof test);
		at += PORT_TEST;
		if (i + 1 < n) {
			struct inet_diag_bc_op accept = { INET_DIAG_BC_JMP, JUMP,
							  (unsigned short)(len - at) };

			memcpy(bc + at, &accept, sizeof accept);
			at += JUMP;
		}
	}
	return len;
}

/* One dump of family/protocol sockets in states on ports; each calls seen(inode, arg).
 * 0, or -1 with errno. */
static int dump(int nl, int family, int protocol, unsigned states, const uint16_t *ports,
		size_t n, void (*seen)(unsigned long long inode, void *arg), void *arg)
{
	static struct request msg;
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t bc_len = port_filter(msg.bc, ports, n);

	msg.bc_attr = (struct nlattr){ (unsigned short)(NLA_HDRLEN + bc_len), INET_DIAG_REQ_BYTECODE };
	msg.nlh = (struct nlmsghdr){ .nlmsg_len = (unsigned)(offsetof(struct request, bc) + bc_len),
				     .nlmsg_type = SOCK_DIAG_BY_FAMILY,
				     .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP };
	msg.req = (struct inet_diag_req_v2){ .sdiag_family = (unsigned char)family,
					     .sdiag_protocol = (unsigned char)protocol,
					     .idiag_states = states };
	if (send(nl, &msg, msg.nlh.nlmsg_len, 0) < 0)
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
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump the kernel had to restart midway may have skipped some. */
				if (h->nlmsg_flags & NLM_F_DUMP_INTR) {
					errno = EINTR;
					return -1;
				}
				return 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				/* No IPv6 on this host: nothing listens there. */
				if (e->error == -ENOENT || e->error == -EAFNOSUPPORT)
					return 0;
				errno = -e->error;
				return -1;
			}
			seen(((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_inode, arg);
		}
	}
}

/* The ports, each once, into out; how many. */
static size_t distinct(const uint16_t *ports, size_t n, uint16_t *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n && m < LAUNCH_MAX_EXPORTS; i++) {
		size_t j = 0;

		while (j < m && out[j] != ports[i])
			j++;
		if (j == m)
			out[m++] = ports[i];
	}
	return m;
}

struct wanted {
	const unsigned long long *inodes;
	bool *found;
	size_t n;
};

static void mark_found(unsigned long long inode, void *arg)
{
	struct wanted *w = arg;

	for (size_t i = 0; i < w->n; i++)
		if (w->inodes[i] == inode)
			w->found[i] = true;
}

int listeners_find(const uint16_t *ports, const unsigned long long *inodes, bool *found, size_t n)
{
	static uint16_t filter[LAUNCH_MAX_EXPORTS];
	struct wanted w = { inodes, found, n };
	size_t m = distinct(ports, n, filter);
	int nl, rc;

	memset(found, 0, n * sizeof *found);
	if (!m)
		return 0;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -1;
	rc = dump(nl, AF_INET, IPPROTO_TCP, 1u << TCP_STATE_LISTEN, filter, m, mark_found, &w) == 0 &&
	     dump(nl, AF_INET6, IPPROTO_TCP, 1u << TCP_STATE_LISTEN, filter, m, mark_found, &w) == 0 &&
	     dump(nl, AF_INET, IPPROTO_UDP, ~0u, filter, m, mark_found, &w) == 0 &&
	     dump(nl, AF_INET6, IPPROTO_UDP, ~0u, filter, m, mark_found, &w) == 0;
	close(nl);
	return rc ? 0 : -1;
}

static void count(unsigned long long inode, void *arg)
{
	(void)inode;
	++*(unsigned *)arg;
}

int listeners_listen_pending(uint16_t port)
{
	unsigned listening = 0, bound = 0;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int rc;

	if (nl < 0)
		return -1;
	rc = dump(nl, AF_INET, IPPROTO_TCP, 1u << TCP_STATE_LISTEN, &port, 1, count, &listening) == 0 &&
	     dump(nl, AF_INET6, IPPROTO_TCP, 1u << TCP_STATE_LISTEN, &port, 1, count, &listening) == 0;
	/* The usual case, a TCP sentinel that listens, needs no more. */
	if (rc && !listening)
		rc = dump(nl, AF_INET, IPPROTO_TCP, 1u << TCP_STATE_BOUND_INACTIVE, &port, 1, count,
			  &bound) == 0 &&
		     dump(nl, AF_INET6, IPPROTO_TCP, 1u << TCP_STATE_BOUND_INACTIVE, &port, 1, count,
			  &bound) == 0;
	close(nl);
	if (!rc)
		return -1;
	return !listening && bound;
}
