/* The supervisor's abstract unix socket, which the shim in every process of the tree asks.
 * Abstract: a server that chroots, drops privileges or closes its descriptors still reaches
 * it. Anyone in the network namespace can connect, so a peer must belong to the tree, or be
 * a client: a process of the supervisor's own user outside the tree (epr exec's CMD), which
 * may only ask where a connect goes and hand over its seccomp listener. Anyone else gets no
 * answer at all. And no peer can hold the supervisor up: nothing here blocks. A connection is read when poll
 * says its request is there (a SOCK_SEQPACKET request arrives whole), dropped when it says
 * nothing for PEER_WAIT, and only CHANNEL_PEERS such silent ones are kept. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_pass.h"
#include "launch.h"
#include "launch_wire.h"

#define PEER_WAIT 1.0    /* s: a peer that connects and then says nothing is dropped */
#define ACCEPT_BURST 64  /* connections taken per wake-up: signals and seccomp get their turn */
#define PIDFS_MAGIC 0x50494446 /* the file system of pidfds since Linux 6.9 */

/* Who a peer is, from kernel facts taken when it is accepted. */
enum peer_kind {
	PEER_OTHER,  /* neither: dropped unanswered */
	PEER_TREE,   /* a process of the launch's tree: every request */
	PEER_CLIENT, /* outside the tree, with the supervisor's euid: LAUNCH_CONNECT and
		      * LAUNCH_NOTIFIER only, else -EPERM */
};

struct peer {
	int conn;
	pid_t pid;
	enum peer_kind kind;
	double deadline;
};

/* The supervisor's one channel. peers[] is in order of arrival: the oldest first. */
static struct {
	int listener, timer;
	struct peer peers[CHANNEL_PEERS];
	size_t n;
} ch = { -1, -1, { { -1, 0, PEER_OTHER, 0 } }, 0 };

/* The inode of a pidfd of this process: unique for the boot on pidfs, 0 without it (then
 * every pidfd shares one anonymous inode and says nothing). */
static uint64_t own_pidfs_id(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	struct statfs fs;
	struct stat st;
	uint64_t id = 0;

	if (fd < 0)
		return 0;
	if (fstatfs(fd, &fs) == 0 && fs.f_type == PIDFS_MAGIC && fstat(fd, &st) == 0)
		id = (uint64_t)st.st_ino;
	close(fd);
	return id;
}

int channel_open(struct launch_state *l)
{
	unsigned char random[8];
	struct sockaddr_un sun;
	socklen_t len;
	int err;

	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		return -1;
	/* Who must hold the name, for the shim's check (launch_wire_peer). */
	snprintf(l->socket_name, sizeof l->socket_name,
		 LAUNCH_WIRE_PREFIX "%d-%u-%" PRIx64 "-%02x%02x%02x%02x%02x%02x%02x%02x", (int)getpid(),
		 (unsigned)geteuid(), own_pidfs_id(), random[0], random[1], random[2], random[3],
		 random[4], random[5], random[6], random[7]);
	len = launch_wire_address(&sun, l->socket_name);
	ch.listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ch.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ch.listener >= 0 && ch.timer >= 0 && bind(ch.listener, (struct sockaddr *)&sun, len) == 0 &&
	    listen(ch.listener, 128) == 0)
		return 0;
	err = errno;
	if (ch.listener >= 0)
		close(ch.listener);
	if (ch.timer >= 0)
		close(ch.timer);
	ch.listener = ch.timer = -1;
	errno = err;
	return -1;
}

/* Who the process behind conn is; its pid into *pid. The peer is held by a pidfd (Linux
 * 6.5) while its pid is checked: if it still runs after the check, the pid was its own
 * throughout, not one reused by a tree process since it connected. A client is judged by
 * the euid it connected with (SO_PEERCRED), which no later change of its own undoes. */
static enum peer_kind peer_kind(int conn, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	int pidfd = -1;
	enum peer_kind kind;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
		return PEER_OTHER;
	len = sizeof pidfd;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0) {
		if (errno != ENOPROTOOPT)
			return PEER_OTHER; /* the peer is gone already */
		pidfd = -1;        /* before 6.5: the pid number alone */
	}
	kind = tree_contains(cred.pid) ? PEER_TREE : cred.uid == geteuid() ? PEER_CLIENT : PEER_OTHER;
	if (pidfd >= 0) {
		struct pollfd exited = { pidfd, POLLIN, 0 };

		if (poll(&exited, 1, 0) != 0)
			kind = PEER_OTHER;
		close(pidfd);
	}
	*pid = cred.pid;
	return kind;
}

/* A client's binds and listens are its own, as without epr: it may ask only where its
 * connects go, and have its seccomp listener served for that. */
static bool client_may(uint32_t op)
{
	return op == LAUNCH_CONNECT || op == LAUNCH_NOTIFIER;
}

static struct launch_reply answer(struct launch_state *l, const struct launch_request *req, int fd,
				  pid_t pid, enum peer_kind kind)
{
	struct launch_reply rep = { -EINVAL, 0 };
	int rc;

	if (kind == PEER_CLIENT && !client_may(req->op)) {
		rep.result = -EPERM;
		return rep;
	}
	switch (req->op) {
	case LAUNCH_BIND:
		rc = launch_bind(l, fd, (const struct sockaddr *)&req->addr, req->addrlen, &rep.port, pid);
		rep.result = rc == 0 || rc == POLICY_PASS ? rc : -rc;
		break;
	case LAUNCH_LISTEN:
		rc = launch_listened(l, fd, pid);
		rep.result = -rc;
		break;
	case LAUNCH_NOTIFIER:
		rep.result = -launch_adopt_notifier(l, fd, pid, kind == PEER_CLIENT);
		break;
	case LAUNCH_CONNECT:
		rc = launch_connect(l, (const struct sockaddr *)&req->addr, req->addrlen, &rep.port);
		rep.result = rc == 0 || rc == POLICY_PASS ? rc : -rc;
		break;
	}
	return rep;
}

/* A peer that hung up was told its call failed: its request is not acted on. */
static bool hung_up(int conn)
{
	struct pollfd p = { conn, POLLRDHUP, 0 };

	return poll(&p, 1, 0) != 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Reads conn's request and answers it. False while it has not arrived; true once conn is
 * done with (answered, or dropped as malformed or hung up). */
static bool serve(struct launch_state *l, int conn, pid_t pid, enum peer_kind kind, bool *answered)
{
	static const struct launch_reply stopping = { -ESHUTDOWN, 0 };
	struct launch_request req = { 0 };
	struct launch_reply rep;
	int fd;
	ssize_t n = fd_recv(conn, &req, sizeof req, &fd);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	if (n == (ssize_t)sizeof req && fd >= 0 && req.version == LAUNCH_WIRE_VERSION &&
	    req.addrlen <= sizeof req.addr && !hung_up(conn)) {
		/* During a stop the name stays ours, and every request is refused. */
		rep = l->phase == LAUNCH_STOPPING ? stopping : answer(l, &req, fd, pid, kind);
		send(conn, &rep, sizeof rep, MSG_NOSIGNAL | MSG_DONTWAIT);
		*answered = true;
	}
	if (fd >= 0)
		close(fd);
	return true;
}

static void drop(size_t i)
{
	close(ch.peers[i].conn);
	memmove(ch.peers + i, ch.peers + i + 1, (ch.n - i - 1) * sizeof ch.peers[0]);
	ch.n--;
}

static void accept_peers(struct launch_state *l, bool *answered)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int conn = accept4(ch.listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		pid_t pid;
		enum peer_kind kind;

		if (conn < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (conn < 0)
			return; /* none left (EAGAIN), or no descriptor to spare */
		/* Not one of ours: no answer at all. One of ours has usually sent already. */
		kind = peer_kind(conn, &pid);
		if (kind == PEER_OTHER || serve(l, conn, pid, kind, answered)) {
			close(conn);
			continue;
		}
		if (ch.n == CHANNEL_PEERS)
			drop(0); /* the one silent longest */
		ch.peers[ch.n++] = (struct peer){ conn, pid, kind, now_seconds() + PEER_WAIT };
	}
}

/* The timer goes off at the oldest peer's deadline; disarmed when none waits. */
static void arm_timer(void)
{
	struct itimerspec when = { { 0, 0 }, { 0, 0 } };

	if (ch.n) {
		double at = ch.peers[0].deadline;

		when.it_value.tv_sec = (time_t)at;
		when.it_value.tv_nsec = (long)((at - (double)when.it_value.tv_sec) * 1e9);
		if (!when.it_value.tv_sec && !when.it_value.tv_nsec)
			when.it_value.tv_nsec = 1;
	}
	timerfd_settime(ch.timer, TFD_TIMER_ABSTIME, &when, NULL);
}

void channel_pollfds(struct pollfd *p)
{
	p[0] = (struct pollfd){ ch.listener, POLLIN, 0 };
	p[1] = (struct pollfd){ ch.timer, POLLIN, 0 };
	for (size_t i = 0; i < CHANNEL_PEERS; i++)
		p[2 + i] = (struct pollfd){ i < ch.n ? ch.peers[i].conn : -1, POLLIN, 0 };
}

bool channel_events(struct launch_state *l, const struct pollfd *p)
{
	bool answered = false;
	double now = now_seconds();
	uint64_t expired;

	/* From the last, so that a peer done with moves none still to be looked at. */
	for (size_t i = ch.n; i-- > 0;) {
		const struct pollfd *q = &p[2 + i];

		if (q->fd == ch.peers[i].conn && q->revents &&
		    (serve(l, q->fd, ch.peers[i].pid, ch.peers[i].kind, &answered) || (q->revents & (POLLHUP | POLLERR))))
			drop(i);
	}
	if (p[1].revents & POLLIN)
		while (read(ch.timer, &expired, sizeof expired) > 0)
			;
	while (ch.n && ch.peers[0].deadline <= now)
		drop(0);
	if (p[0].revents & POLLIN)
		accept_peers(l, &answered);
	arm_timer();
	return answered;
}
