/* What the shim and a launch's supervisor say to each other: one request and one reply on
 * a fresh SOCK_SEQPACKET connection to the supervisor's abstract socket, with the socket in
 * question passed along (SCM_RIGHTS). A connection per call: a program may close or dup2
 * over any descriptor, and a fork must not share a conversation. */
#ifndef EPR_LAUNCH_WIRE_H
#define EPR_LAUNCH_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define LAUNCH_WIRE_VERSION 1

enum launch_op {
	LAUNCH_BIND = 1,   /* apply the policy to bind(fd, addr, addrlen) */
	LAUNCH_LISTEN = 2, /* fd now listens: export its port if the launch handed it out */
	LAUNCH_NOTIFIER = 3, /* fd is the listener of epr's seccomp filter, which the sender
			      * loaded before it execs a program the shim cannot reach: serve it.
			      * Result 0 once adopted; the sender execs only then. */
};

struct launch_request {
	uint32_t version;
	uint32_t op;
	uint32_t addrlen;
	uint32_t reserved;
	struct sockaddr_storage addr;
};

/* result: 0 done; 1 (POLICY_PASS) make the bind as asked; a negative errno: fail with it. */
struct launch_reply {
	int32_t result;
	uint32_t port; /* the port bound, for the caller's debug line */
};

/* sun_path of the supervisor named name (abstract: a leading NUL); returns the address length. */
static inline socklen_t launch_wire_address(struct sockaddr_un *sun, const char *name)
{
	size_t n = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n > sizeof(sun->sun_path) - 1)
		n = sizeof(sun->sun_path) - 1;
	memcpy(sun->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

#endif
