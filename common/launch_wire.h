/* What the shim and a launch's supervisor say to each other: one request and one reply on
 * a fresh SOCK_SEQPACKET connection to the supervisor's abstract socket, with the socket in
 * question passed along (SCM_RIGHTS). A connection per call: a program may close or dup2
 * over any descriptor, and a fork must not share a conversation.
 * Anyone in the network namespace may bind a free abstract name, so the name also says who
 * must hold it: the shim checks its peer against it before it sends anything. */
#ifndef EPR_LAUNCH_WIRE_H
#define EPR_LAUNCH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define LAUNCH_WIRE_VERSION 1

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; older C libraries lack the name */
#endif

enum launch_op {
	LAUNCH_BIND = 1,   /* apply the policy to bind(fd, addr, addrlen) */
	LAUNCH_LISTEN = 2, /* fd now listens: export its port if the launch handed it out */
	LAUNCH_NOTIFIER = 3, /* fd is the listener of epr's seccomp filter, which the sender
			      * loaded before it execs a program the shim cannot reach: serve it.
			      * Result 0 once adopted; the sender execs only then. */
	LAUNCH_CONNECT = 4, /* addr is where fd is about to connect or send to: for a sentinel on
			     * this host, result 0 and the launch's port for it; -ECONNREFUSED
			     * while it has none; POLICY_PASS when addr is not one the launch
			     * redirects (the caller connects as asked) */
};

struct launch_request {
	uint32_t version;
	uint32_t op;
	uint32_t addrlen;
	uint32_t reserved;
	struct sockaddr_storage addr;
};

/* result: 0 done; 1 (POLICY_PASS) make the bind as asked; a negative errno: fail with it.
 * -ESHUTDOWN: the launch is stopping and nothing was done (the supervisor keeps its name,
 * and answers so, until its tree is gone). */
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

/* The supervisor a name stands for: "epr-PID-UID-ID-RANDOM", ID the pidfs inode of its
 * process in hex (unique for the boot, whatever the pid namespace; 0 before Linux 6.9, when
 * pid and uid alone are checked). Both sides build and read it here, so they cannot drift. */
struct launch_peer {
	uint32_t pid, uid;
	uint64_t id;
};

#define LAUNCH_WIRE_PREFIX "epr-"

/* Reads one number of base 10 or 16 up to stop; false when there is none or it overflows. */
static inline bool launch_wire_number(const char **s, unsigned base, char stop, uint64_t max,
				      uint64_t *out)
{
	const char *p = *s;
	uint64_t n = 0;

	for (; *p && *p != stop; p++) {
		unsigned digit;

		if (*p >= '0' && *p <= '9')
			digit = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = (unsigned)(*p - 'a' + 10);
		else
			return false;
		if (n > (max - digit) / base)
			return false;
		n = n * base + digit;
	}
	if (p == *s || *p != stop)
		return false;
	*s = p + 1;
	*out = n;
	return true;
}

/* The peer that name promises; false when name is not a supervisor's. No libc beyond
 * strncmp: the shim reads it inside the host's bind(). */
static inline bool launch_wire_peer(const char *name, struct launch_peer *peer)
{
	uint64_t pid, uid, id;

	if (strncmp(name, LAUNCH_WIRE_PREFIX, sizeof(LAUNCH_WIRE_PREFIX) - 1) != 0)
		return false;
	name += sizeof(LAUNCH_WIRE_PREFIX) - 1;
	if (!launch_wire_number(&name, 10, '-', INT32_MAX, &pid) || pid < 2 ||
	    !launch_wire_number(&name, 10, '-', UINT32_MAX, &uid) ||
	    !launch_wire_number(&name, 16, '-', UINT64_MAX, &id))
		return false;
	peer->pid = (uint32_t)pid;
	peer->uid = (uint32_t)uid;
	peer->id = id;
	return true;
}

#endif
