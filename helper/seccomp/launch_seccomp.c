/* The seccomp interceptor feeding the launch: a notified bind or listen of any process of
 * the tree becomes a call of the same launch_bind() / launch_listened() the shim's requests
 * reach, on the supervisor's own copy of the target's socket (pidfd_getfd); a connect or
 * send to a sentinel on this host asks launch_connect() where it goes, whichever notifier
 * it came from. A client's (epr exec's CMD) binds and listens are its own, and the kernel
 * runs them as made. Nothing is ever written into the target. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "launch.h"
#include "seccomp_notify.h"

static void say_rewritten(const struct launch_state *l, const struct sockaddr *addr, unsigned port)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned asked;

	if (!l->options->verbose)
		return;
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		asked = ntohs(in6->sin6_port);
		cli_warn("bind [%s]:%u -> %u (seccomp)", host, asked, port);
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		asked = ntohs(in->sin_port);
		cli_warn("bind %s:%u -> %u (seccomp)", host, asked, port);
	}
}

static int on_bind(void *ctx, pid_t tgid, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct launch_state *l = ctx;
	unsigned port;
	int rc;

	if (l->serving_client)
		return INTERCEPT_CONTINUE;
	/* During a stop the launch hands out nothing, as its channel answers the shim. */
	if (l->phase == LAUNCH_STOPPING)
		return policy_candidate_in(&l->policy, &l->map, addr, len) ? ESHUTDOWN : INTERCEPT_CONTINUE;
	rc = launch_bind(l, fd, addr, len, &port, tgid);
	if (rc == POLICY_PASS)
		return INTERCEPT_CONTINUE;
	if (rc == 0)
		say_rewritten(l, addr, port);
	return rc;
}

/* The supervisor listens on its copy (the same inet socket: TCP records no peer
 * credentials), then exports, as the shim does. */
static int on_listen(void *ctx, pid_t tgid, int fd, int backlog)
{
	const struct launch_state *l = ctx;
	int rc;

	if (l->serving_client)
		return INTERCEPT_CONTINUE;
	if (l->phase == LAUNCH_STOPPING) /* as the channel answers the shim's listen */
		return address_bound_port(fd) > 0 ? ESHUTDOWN : INTERCEPT_CONTINUE;
	if (listen(fd, backlog) < 0)
		return errno;
	rc = launch_listened(ctx, fd, tgid);
	if (rc)
		shutdown(fd, SHUT_RD); /* the program must not keep a listener it believes failed */
	return rc;
}

static void say_redirected(const struct sockaddr *addr, socklen_t len, int rc, unsigned port)
{
	int asked = address_port(addr, len);
	char host[INET6_ADDRSTRLEN] = "?";
	const void *a = addr->sa_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)addr)->sin_addr;

	inet_ntop(addr->sa_family, a, host, sizeof host);
	if (rc == 0)
		cli_warn("connect %s port %d -> %u (seccomp)", host, asked, port);
	else
		cli_warn("connect %s port %d: refused, the launch has no port for it yet (seccomp)",
			 host, asked);
}

/* Every connect of the program comes here: pass-through costs no system call. */
static int on_redirect(void *ctx, const struct sockaddr *addr, socklen_t len, unsigned *port)
{
	const struct launch_state *l = ctx;
	int rc = launch_connect(l, addr, len, port);

	if (rc == POLICY_PASS)
		return INTERCEPT_CONTINUE;
	/* During a stop too: the launch's ports listen until its tree is gone, and a server
	 * that connects to its own sentinel on its way out (the shim knows that port without
	 * asking) must not meet a refusal. */
	if (l->options->verbose)
		say_redirected(addr, len, rc, *port);
	return rc;
}

static void on_error(void *ctx, pid_t tid, int err, const char *why)
{
	(void)ctx, (void)tid, (void)err;
	cli_warn("%s", why); /* why names the thread, the fd and the error */
}

bool launch_seccomp_serve(struct launch_state *l, int listener)
{
	static const struct intercept_ops ops = {
		.bind = on_bind, .listen = on_listen, .error = on_error, .redirect = on_redirect,
	};

	/* For the callbacks, which see the launch and not the listener. */
	l->serving_client = launch_notifier_client(l, listener);
	return seccomp_handle(listener, &ops, l) != -ENOENT;
}
