/* bind() to port 0 or to a sentinel, rewritten to a port reserved with the TIME_WAIT trick. */
#include "policy.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "reserve.h"
#include "sys_socket.h"

#define BIND_ATTEMPTS 8 /* a lost race re-reserves; this many losses in a row is not luck */

enum proto { OTHER, TCP, UDP };

/* TCP (or MPTCP) and UDP are rewritten; SCTP and the rest pass through. */
static enum proto protocol_of(int fd)
{
	int protocol = 0;
	socklen_t len = sizeof(protocol);

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0)
		return OTHER;
	if (protocol == IPPROTO_TCP || protocol == 262 /* IPPROTO_MPTCP */)
		return TCP;
	return protocol == IPPROTO_UDP ? UDP : OTHER;
}

static int is_tcp(int fd)
{
	return protocol_of(fd) == TCP;
}

/* Whether UDP port is free at a: a sentinel's port serves TCP and UDP alike (DNS). The
 * probe binds without SO_REUSEADDR, so any socket there counts; the supervisor keeps it
 * (p->udp_hold), with SO_REUSEADDR set only now for the program's bind to share it.
 * 0, -EADDRINUSE if taken, or another -errno. */
static int udp_free(const struct policy *p, const struct bind_addr *a, uint16_t port)
{
	struct bind_addr at = *a;
	int fd = socket(a->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	address_set_port(&at, port);
	if (a->sa.ss_family == AF_INET6) {
		int one = 1; /* ::1 alone: 127.0.0.1 has its own probe */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (sys_bind(fd, (const struct sockaddr *)&at.sa, at.len) < 0)
		rc = -errno;
	else if (p->udp_hold) {
		int one = 1;

		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
		p->udp_hold(port, fd);
		return 0;
	}
	close(fd);
	return rc;
}

static void note(const struct policy *p, enum policy_event event, const struct bind_addr *asked,
		 unsigned port, const char *what, int err)
{
	struct policy_note n = { event, asked, port, what, err };

	if (p->note)
		p->note(&n);
}

static void lock(const struct policy *p)
{
	if (p->lock)
		p->lock();
}

static void unlock(const struct policy *p)
{
	if (p->unlock)
		p->unlock();
}

static int is_udp(int fd)
{
	return protocol_of(fd) == UDP;
}

/* A UDP bind of a port the supervisor holds shares it with the holders (SO_REUSEADDR for
 * the bind alone: afterwards nobody else may share it), which then go. */
static void release(const struct policy *p, uint16_t port)
{
	int saved = errno;

	if (p->udp_release)
		p->udp_release(port);
	errno = saved;
}

static int bind_port(const struct policy *p, int fd, const struct bind_addr *asked,
		     uint16_t port)
{
	struct bind_addr a = *asked;
	int held = p->udp_held && p->udp_held(port) && is_udp(fd), reuse = 0, one = 1, rc, err;
	socklen_t len = sizeof(reuse);

	address_set_port(&a, port);
	if (held && (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &len) < 0 ||
		     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0))
		return -1;
	rc = sys_bind(fd, (const struct sockaddr *)&a.sa, a.len);
	err = errno;
	if (held) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
		if (rc == 0)
			p->udp_release(port);
	}
	errno = err;
	return rc;
}

/* Reserves a port for asked; for a sentinel or a dual-stack socket (both_families) the same
 * port also on the other family's loopback, so that a dual-stack server's second bind finds
 * it free and plain IPv4 binds of port 0 are not handed the port of a dual-stack one; for a
 * sentinel (udp_too) a port whose UDP side is free on both loopbacks too.
 * Returns the port, or -errno: -EADDRINUSE means "lost a race: try again", -EAGAIN that
 * no port is free. */
static int reserve_for(const struct policy *p, const struct bind_addr *asked, int both_families,
		       int udp_too, unsigned *tried)
{
	struct bind_addr where, other;
	int port, got;

	address_reservation(asked, &where);
	port = reserve_port((const struct sockaddr *)&where.sa, where.len, 0);
	/* A host without IPv6 (::1 missing) still takes binds to [::]: reserve on 127.0.0.1. */
	if ((port == -EADDRNOTAVAIL || port == -EAFNOSUPPORT) && address_ipv4_fallback(asked, &where))
		port = reserve_port((const struct sockaddr *)&where.sa, where.len, 0);
	if (port < 0 || !both_families)
		return port;
	*tried = (unsigned)port;
	address_other_loopback(&where, (uint16_t)port, &other);
	got = reserve_port((const struct sockaddr *)&other.sa, other.len, RESERVE_EXACT);
	/* A host without that family (no IPv6) needs no protection on it. */
	if (got < 0 && got != -EADDRNOTAVAIL && got != -EAFNOSUPPORT)
		return got;
	if (udp_too) {
		got = udp_free(p, &where, (uint16_t)port);
		if (got == 0)
			got = udp_free(p, &other, (uint16_t)port);
		if (got < 0 && got != -EADDRNOTAVAIL && got != -EAFNOSUPPORT) {
			release(p, (uint16_t)port);
			return got;
		}
	}
	return port;
}

static int fail(const struct policy *p, const struct bind_addr *asked, const char *what, int err)
{
	note(p, POLICY_FAILED, asked, 0, what, err);
	errno = err;
	return -1;
}

/* Reserve, bind, and on a lost race (EADDRINUSE) do both again, a bounded number of times. */
static int bind_reserved(const struct policy *p, int fd, const struct bind_addr *asked,
			 int both_families, int udp_too)
{
	for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
		unsigned tried = 0;
		int port = reserve_for(p, asked, both_families, udp_too, &tried);

		if (port == -EADDRINUSE) {
			if (tried) /* the other family holds it */
				note(p, POLICY_RETRY, asked, tried, NULL, EADDRINUSE);
			continue;
		}
		if (port == -EAGAIN)
			return fail(p, asked, "no free port to reserve", EADDRNOTAVAIL);
		if (port < 0)
			return fail(p, asked, "cannot reserve a port", -port);
		if (bind_port(p, fd, asked, (uint16_t)port) == 0)
			return port;
		release(p, (uint16_t)port); /* the port is not this sentinel's: nothing awaits it */
		if (errno != EADDRINUSE)
			return -1;
		note(p, POLICY_RETRY, asked, (unsigned)port, NULL, EADDRINUSE);
	}
	return fail(p, asked, "every reserved port was taken before the bind", EADDRINUSE);
}

/* A socket bound to [::] without IPV6_V6ONLY takes the IPv4 port too. */
static int serves_both_families(int fd, const struct bind_addr *asked)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&asked->sa;
	int v6only = 1;
	socklen_t len = sizeof(v6only);

	if (asked->sa.ss_family != AF_INET6 || !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
		return 0;
	return getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == 0 && v6only == 0;
}

static int bind_zero(const struct policy *p, struct port_map *m, int fd,
		     const struct bind_addr *asked, struct policy_result *res)
{
	int port = bind_reserved(p, fd, asked, serves_both_families(fd, asked), 0);

	if (port < 0)
		return -1;
	lock(p);
	port_map_remember_zero(m, (uint16_t)port);
	unlock(p);
	res->port = (unsigned)port; /* the shim remembers it too: bind 0, close, bind it again */
	note(p, POLICY_REWRITTEN, asked, (unsigned)port, NULL, 0);
	return 0;
}

/* The first bind of a sentinel picks its port; later binds (other address, other family,
 * other protocol, other process of the launch) reuse it. The lock makes racing threads
 * agree on one port. */
static int bind_sentinel(const struct policy *p, struct port_map *m, int fd,
			 const struct bind_addr *asked, const struct port_spec *spec,
			 struct policy_result *res)
{
	int port, rc = 0;

	lock(p);
	port = port_map_sentinel_port(m, spec->sentinel);
	if (port == 0 && spec->pin)
		port = spec->pin;
	if (port) {
		rc = bind_port(p, fd, asked, (uint16_t)port);
		if (rc == 0)
			port_map_set_sentinel_port(m, spec->sentinel, (uint16_t)port);
	} else {
		port = bind_reserved(p, fd, asked, 1, 1);
		if (port < 0)
			rc = -1;
		else
			port_map_set_sentinel_port(m, spec->sentinel, (uint16_t)port);
	}
	unlock(p);
	if (rc == 0) {
		res->port = (unsigned)port;
		res->sentinel = spec->sentinel;
		note(p, POLICY_REWRITTEN, asked, (unsigned)port, NULL, 0);
	}
	return rc;
}

int policy_candidate(const struct policy *p, const struct sockaddr *addr, socklen_t len)
{
	int port = address_port(addr, len);

	if (port < 0)
		return 0;
	if (p->error)
		return 1;
	return port == 0 ? p->zero : port_specs_find(p->specs, (uint16_t)port) != NULL;
}

uint16_t policy_connect_sentinel(const struct policy *p, const struct sockaddr *addr, socklen_t len)
{
	int port = address_port(addr, len);

	if (port <= 0 || p->error || !port_specs_find(p->specs, (uint16_t)port))
		return 0;
	return address_is_local(addr) ? (uint16_t)port : 0;
}

int policy_candidate_in(const struct policy *p, const struct port_map *m,
			const struct sockaddr *addr, socklen_t len)
{
	int port = address_port(addr, len);

	if (port < 0)
		return 0;
	return policy_candidate(p, addr, len) || (p->zero && port_map_zero_port(m, (uint16_t)port));
}

int policy_bind_result(const struct policy *p, struct port_map *m, int fd,
		       const struct sockaddr *addr, socklen_t len, struct policy_result *res)
{
	int saved = errno, one = 1, rc, port;
	struct bind_addr asked;
	struct policy_result ignored;
	enum proto proto;

	if (res == NULL)
		res = &ignored;
	*res = (struct policy_result){ 0, 0, 0 };
	if (!policy_candidate(p, addr, len)) {
		/* The port this program was handed for port 0 is in TIME_WAIT: let it have it again. */
		if (policy_candidate_in(p, m, addr, len) && is_tcp(fd))
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		errno = saved;
		return POLICY_PASS;
	}
	port = address_port(addr, len);
	proto = protocol_of(fd);
	/* UDP binds of port 0 are clients': the kernel's choice stays. */
	if (proto == OTHER || (proto == UDP && port == 0)) {
		errno = saved;
		return POLICY_PASS;
	}
	if (p->error) {
		note(p, POLICY_BAD_CONFIG, NULL, 0, p->error, EINVAL);
		errno = EINVAL;
		return -1;
	}
	/* The port is in TIME_WAIT: only a socket with SO_REUSEADDR can take it. (UDP has no
	 * TIME_WAIT, and SO_REUSEADDR there would let others share its port.) */
	if (proto == TCP && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -1;
	address_copy(&asked, addr, len);
	rc = port == 0 ? bind_zero(p, m, fd, &asked, res)
		       : bind_sentinel(p, m, fd, &asked, port_specs_find(p->specs, (uint16_t)port), res);
	if (rc == 0 && proto == UDP) {
		res->export_now = 1;
		note(p, POLICY_UDP_BOUND, &asked, res->port, NULL, 0);
	}
	if (rc == 0)
		errno = saved;
	return rc;
}

int policy_bind(const struct policy *p, struct port_map *m, int fd, const struct sockaddr *addr,
		socklen_t len)
{
	return policy_bind_result(p, m, fd, addr, len, NULL);
}
