/* The one policy both interceptors use: which binds are rewritten, and to which port. It
 * knows nothing of how a bind was caught. The shim calls it inside the process on the
 * program's socket; the supervisor calls it on its own copy of the target's socket (passed
 * by the shim, or taken with pidfd_getfd after a seccomp notification). Binding a copy binds
 * the target's socket: it is the same socket. */
#ifndef EPR_POLICY_H
#define EPR_POLICY_H

#include <stdint.h>
#include <sys/socket.h>

#include "address.h"
#include "port_map.h"
#include "port_spec.h"

/* What the policy tells its caller, for logging: each caller has its own log. */
enum policy_event {
	POLICY_REWRITTEN,  /* asked was bound to port */
	POLICY_RETRY,      /* port was taken before the bind; reserving another */
	POLICY_FAILED,     /* what says why, err is the errno the bind fails with */
	POLICY_BAD_CONFIG, /* the configuration is bad: what is the reason */
	POLICY_UDP_BOUND,  /* a UDP socket was bound to port for sentinel ntohs(asked's port): it
			    * receives now (UDP never listens), so export it now */
};

struct policy_note {
	enum policy_event event;
	const struct bind_addr *asked;
	unsigned port;
	const char *what;
	int err;
};

struct policy {
	const struct port_specs *specs; /* the sentinels */
	int zero;                       /* rewrite binds to port 0 */
	const char *error;              /* non-NULL: bad configuration; candidate binds fail EINVAL */
	/* Serialize access to the map: the shim's mutex; NULL for a single-threaded owner. */
	void (*lock)(void);
	void (*unlock)(void);
	void (*note)(const struct policy_note *n);
	/* The supervisor only; NULL in the shim, which adds no descriptor to a host program.
	 * udp_hold takes fd, a UDP socket bound to a reserved sentinel's port on one loopback,
	 * so that no UDP autobind on the host gets the port before the program's UDP bind;
	 * udp_held says whether port is held; udp_release closes its holders. */
	void (*udp_hold)(uint16_t port, int fd);
	int (*udp_held)(uint16_t port);
	void (*udp_release)(uint16_t port);
};

/* Result of policy_bind besides 0 and -1: not a bind the policy rewrites. */
#define POLICY_PASS 1

/* What a rewritten bind did, for its caller (policy_bind_result). */
struct policy_result {
	unsigned port;     /* the port bound (0 when the bind was not rewritten) */
	uint16_t sentinel; /* the sentinel it stands for; 0 for a port-0 bind */
	int export_now;    /* a UDP sentinel bind: export port now, since no listen() will come */
};

/* Whether a bind to addr/len may be rewritten: an AF_INET/AF_INET6 sockaddr of a valid
 * length whose port is 0 (when p->zero) or a sentinel, or any of those under a bad
 * configuration. No system call: the shim's fast path for everything else. */
int policy_candidate(const struct policy *p, const struct sockaddr *addr, socklen_t len);

/* policy_candidate, or a bind naming a port that m handed out for port 0 (a program that
 * probes with bind(0), closes, and binds the number again): policy_bind then only sets
 * SO_REUSEADDR, since the reservation left the port in TIME_WAIT. No system call. */
int policy_candidate_in(const struct policy *p, const struct port_map *m,
			const struct sockaddr *addr, socklen_t len);

/* The sentinel a connect, sendto or sendmsg to addr/len stands for inside a launch: an
 * AF_INET/AF_INET6 destination on this host (address_is_local) whose port is a sentinel.
 * 0 for anything else, and under a bad configuration (which fails binds, not connects).
 * No system call: the pass-through path of every connect. */
uint16_t policy_connect_sentinel(const struct policy *p, const struct sockaddr *addr, socklen_t len);

/* Applies the policy to bind(fd, addr, len): 0 when fd was bound to a reserved (or pinned)
 * port, recorded in m; -1 with errno set when the bind must fail; POLICY_PASS when the
 * caller is to make the bind as asked (not TCP or UDP, UDP port 0, not a candidate). Sets SO_REUSEADDR on fd
 * when it rewrites, and on a TCP socket that binds a port m handed out for port 0 (which
 * then passes). Never writes into addr. errno is kept on success and POLICY_PASS. */
int policy_bind(const struct policy *p, struct port_map *m, int fd, const struct sockaddr *addr,
		socklen_t len);

/* policy_bind, telling what it did in *res (NULL: nothing). A UDP bind to a sentinel is
 * rewritten too, to the sentinel's one port, whose TCP and UDP sides were both free on
 * both loopbacks; it sets res->export_now. UDP binds of port 0 pass. */
int policy_bind_result(const struct policy *p, struct port_map *m, int fd,
		       const struct sockaddr *addr, socklen_t len, struct policy_result *res);

#endif
