/* Under a supervisor (epr run, start or exec), a connect or send to a sentinel S on this host
 * goes to the launch's port for S, on a private copy of the destination: the caller's
 * sockaddr is never written. The first one in a process asks the supervisor (LAUNCH_CONNECT);
 * later ones read the answer from known.c. Before S has a port in the launch the call fails
 * with ECONNREFUSED and never reaches what the host runs on S. Everything else, and every
 * call of the bare shim, is one check and the real call, errno untouched. */
#include "redirect.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "address.h"
#include "config.h"
#include "known.h"
#include "launch_wire.h"
#include "log.h"
#include "policy.h"
#include "real.h"
#include "supervised.h"

#define MMSG_CHUNK 8 /* redirected sendmmsg messages rewritten at once, on the stack */

static void log_debug(const struct sockaddr *asked, unsigned port, int err)
{
	struct logline l;

	log_start(&l, NULL);
	log_str(&l, "connect ");
	log_addr(&l, asked);
	if (err) {
		log_str(&l, ": the sentinel has no port in this launch yet: ");
		log_errno(&l, err);
	} else {
		log_str(&l, " -> ");
		log_num(&l, port);
	}
	log_end(&l);
}

/* The sentinel addr stands for under a supervisor, or 0: the fast path of every call. */
static uint16_t sentinel_of(const struct sockaddr *addr, socklen_t len)
{
	const struct config *c = config_get();

	if (!c->supervisor[0])
		return 0;
	return policy_connect_sentinel(&c->policy, addr, len);
}

/* Copies addr into *out with the launch's port for sentinel s: 0, POLICY_PASS (the supervisor
 * redirects nothing there: use addr as it is) or -1 with errno set (ECONNREFUSED: S has no
 * port yet). fd goes along to the supervisor, which may check who asks. */
static int rewritten(int fd, const struct sockaddr *addr, socklen_t len, uint16_t s,
		     struct sockaddr_storage *out)
{
	const struct config *c = config_get();
	unsigned port = known_port(s);
	int saved = errno, rc;

	if (port == 0) {
		rc = supervised_call(LAUNCH_CONNECT, fd, addr, len, &port);
		if (c->debug && rc <= 0)
			log_debug(addr, port, rc < 0 ? errno : 0);
		if (rc != 0)
			return rc;
		known_set(s, (uint16_t)port);
	}
	memcpy(out, addr, len); /* len: checked by address_port() */
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
	errno = saved;
	return 0;
}

int redirect_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	uint16_t s = sentinel_of(addr, len);
	struct sockaddr_storage to;
	int rc;

	if (!s)
		return sys_connect(fd, addr, len);
	rc = rewritten(fd, addr, len, s, &to);
	if (rc < 0)
		return -1;
	return sys_connect(fd, rc == 0 ? (const struct sockaddr *)&to : addr, len);
}

ssize_t redirect_sendto(int fd, const void *buf, size_t n, int flags,
			const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage to;
	uint16_t s;
	int rc;

	if (addr == NULL) /* send() on a connected socket */
		return sys_sendto(fd, buf, n, flags, addr, len);
	s = sentinel_of(addr, len);
	if (!s)
		return sys_sendto(fd, buf, n, flags, addr, len);
	rc = rewritten(fd, addr, len, s, &to);
	if (rc < 0)
		return -1;
	return sys_sendto(fd, buf, n, flags, rc == 0 ? (const struct sockaddr *)&to : addr, len);
}

ssize_t redirect_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_storage to;
	struct msghdr copy;
	uint16_t s;
	int rc;

	if (msg == NULL || msg->msg_name == NULL)
		return sys_sendmsg(fd, msg, flags);
	s = sentinel_of(msg->msg_name, msg->msg_namelen);
	if (!s)
		return sys_sendmsg(fd, msg, flags);
	rc = rewritten(fd, msg->msg_name, msg->msg_namelen, s, &to);
	if (rc < 0)
		return -1;
	copy = *msg; /* the caller's header stays as it was */
	if (rc == 0)
		copy.msg_name = &to;
	return sys_sendmsg(fd, &copy, flags);
}

static uint16_t message_sentinel(const struct mmsghdr *m)
{
	return m->msg_hdr.msg_name ? sentinel_of(m->msg_hdr.msg_name, m->msg_hdr.msg_namelen) : 0;
}

/* sendmmsg may send fewer messages than asked (the caller sends the rest): messages before
 * the first redirected one go as they are; a run of redirected ones goes from a rewritten
 * copy, MMSG_CHUNK at most; msg_len, which sendmmsg reports in the caller's vector, is
 * copied back. */
int redirect_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct sockaddr_storage to[MMSG_CHUNK];
	struct mmsghdr copy[MMSG_CHUNK];
	unsigned i, n = 0;
	int sent;

	if (vec == NULL || !config_get()->supervisor[0])
		return sys_sendmmsg(fd, vec, vlen, flags);
	for (i = 0; i < vlen && !message_sentinel(&vec[i]); i++)
		;
	if (i > 0 || vlen == 0)
		return sys_sendmmsg(fd, vec, i, flags);
	for (; n < vlen && n < MMSG_CHUNK; n++) {
		uint16_t s = message_sentinel(&vec[n]);
		int rc;

		if (!s)
			break;
		rc = rewritten(fd, vec[n].msg_hdr.msg_name, vec[n].msg_hdr.msg_namelen, s, &to[n]);
		if (rc < 0) {
			if (n == 0)
				return -1;
			break; /* the ones before go; this one fails when the caller sends it again */
		}
		copy[n] = vec[n];
		if (rc == 0)
			copy[n].msg_hdr.msg_name = &to[n];
	}
	sent = sys_sendmmsg(fd, copy, n, flags);
	for (int k = 0; k < sent; k++)
		vec[k].msg_len = copy[k].msg_len;
	return sent;
}
