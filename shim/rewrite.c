/* bind() to port 0 or to a sentinel, rewritten to a port reserved with the TIME_WAIT trick. */
#include "rewrite.h"

#include <errno.h>
#include <netinet/in.h>

#include "address.h"
#include "config.h"
#include "log.h"
#include "reserve.h"
#include "state.h"
#include "sys_socket.h"

#define BIND_ATTEMPTS 8 /* a lost race re-reserves; this many losses in a row is not luck */

/* TCP (or MPTCP) stream sockets only: UDP, SCTP and the rest pass through. */
static int is_tcp(int fd)
{
	int protocol = 0;
	socklen_t len = sizeof(protocol);

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0)
		return 0;
	return protocol == IPPROTO_TCP || protocol == 262 /* IPPROTO_MPTCP */;
}

static void log_failure(const struct bind_addr *asked, const char *what, int err)
{
	struct logline l;

	log_start(&l, "error");
	log_str(&l, "bind ");
	log_addr(&l, (const struct sockaddr *)&asked->sa);
	log_str(&l, ": ");
	log_str(&l, what);
	log_str(&l, ": ");
	log_errno(&l, err);
	log_end(&l);
}

/* An EPR_DEBUG line about a bind: "bind ADDR<before>PORT<after>". */
static void log_debug(const struct bind_addr *asked, const char *before, unsigned long port,
		      const char *after)
{
	struct logline l;

	if (!config_get()->debug)
		return;
	log_start(&l, NULL);
	log_str(&l, "bind ");
	log_addr(&l, (const struct sockaddr *)&asked->sa);
	log_str(&l, before);
	log_num(&l, port);
	log_str(&l, after);
	log_end(&l);
}

static int bind_port(int fd, const struct bind_addr *asked, uint16_t port)
{
	struct bind_addr a = *asked;

	address_set_port(&a, port);
	return sys_bind(fd, (const struct sockaddr *)&a.sa, a.len);
}

/* Reserves a port for asked; for a sentinel (both_families) the same port also on the
 * other family's loopback, so that a dual-stack server's second bind finds it free.
 * Returns the port, or -errno: -EADDRINUSE means "lost a race: try again", -EAGAIN that
 * no port is free. */
static int reserve_for(const struct bind_addr *asked, int both_families)
{
	struct bind_addr where, other;
	int port, got;

	address_reservation(asked, &where);
	port = reserve_port((const struct sockaddr *)&where.sa, where.len, 0);
	if (port < 0 || !both_families)
		return port;
	address_other_loopback(&where, (uint16_t)port, &other);
	got = reserve_port((const struct sockaddr *)&other.sa, other.len, RESERVE_EXACT);
	/* A host without that family (no IPv6) needs no protection on it. */
	if (got < 0 && got != -EADDRNOTAVAIL && got != -EAFNOSUPPORT)
		return got;
	return port;
}

/* Reserve, bind, and on a lost race (EADDRINUSE) do both again, a bounded number of times. */
static int bind_reserved(int fd, const struct bind_addr *asked, int both_families)
{
	for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
		int port = reserve_for(asked, both_families);

		if (port == -EADDRINUSE)
			continue;
		if (port == -EAGAIN) {
			log_failure(asked, "no free port to reserve", EADDRNOTAVAIL);
			errno = EADDRNOTAVAIL;
			return -1;
		}
		if (port < 0) {
			log_failure(asked, "cannot reserve a port", -port);
			errno = -port;
			return -1;
		}
		if (bind_port(fd, asked, (uint16_t)port) == 0)
			return port;
		if (errno != EADDRINUSE)
			return -1;
		log_debug(asked, ": port ", (unsigned long)port, " was taken first; reserving another");
	}
	log_failure(asked, "every reserved port was taken before the bind", EADDRINUSE);
	errno = EADDRINUSE;
	return -1;
}

static int bind_zero(int fd, const struct bind_addr *asked)
{
	int port = bind_reserved(fd, asked, 0);

	if (port < 0)
		return -1;
	state_lock();
	state_remember_zero((uint16_t)port);
	state_unlock();
	log_debug(asked, " -> ", (unsigned long)port, "");
	return 0;
}

/* The first bind of a sentinel picks its port; later binds (other address, other family)
 * reuse it. The lock makes threads that race for one sentinel agree on one port. */
static int bind_sentinel(int fd, const struct bind_addr *asked, uint16_t sentinel, uint16_t pin)
{
	int port, rc = 0;

	state_lock();
	port = state_sentinel_port(sentinel);
	if (port == 0 && pin)
		port = pin;
	if (port) {
		rc = bind_port(fd, asked, (uint16_t)port);
		if (rc == 0)
			state_set_sentinel_port(sentinel, (uint16_t)port);
	} else {
		port = bind_reserved(fd, asked, 1);
		if (port < 0)
			rc = -1;
		else
			state_set_sentinel_port(sentinel, (uint16_t)port);
	}
	state_unlock();
	if (rc == 0)
		log_debug(asked, " -> ", (unsigned long)port, "");
	return rc;
}

static int fail_config(const struct config *c)
{
	static int told;

	if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED)) {
		struct logline l;
		log_start(&l, "error");
		log_str(&l, c->error);
		log_str(&l, "; refusing every TCP bind");
		log_end(&l);
	}
	errno = EINVAL;
	return -1;
}

int rewrite_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct config *c = config_get();
	int saved = errno, port = address_port(addr, len), one = 1, rc;
	const struct port_spec *spec = NULL;
	struct bind_addr asked;

	if (port < 0)
		return sys_bind(fd, addr, len);
	if (!c->error) {
		if (port == 0 ? !c->zero : (spec = port_specs_find(&c->specs, (uint16_t)port)) == NULL)
			return sys_bind(fd, addr, len);
	}
	if (!is_tcp(fd)) {
		errno = saved;
		return sys_bind(fd, addr, len);
	}
	if (c->error)
		return fail_config(c);
	/* The port is in TIME_WAIT: only a socket with SO_REUSEADDR can take it. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -1;
	address_copy(&asked, addr, len);
	rc = port == 0 ? bind_zero(fd, &asked) : bind_sentinel(fd, &asked, spec->sentinel, spec->pin);
	if (rc == 0)
		errno = saved;
	return rc;
}
