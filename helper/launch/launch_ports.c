/* The launch's ports: one map for every process of the tree, the exports in the order they
 * began listening, and the env file written from them by the supervisor alone, so that a
 * server that drops privileges, chroots or closes its descriptors still exports. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

static void note(const struct policy_note *n)
{
	char host[64] = "";

	if (n->asked) {
		const struct sockaddr *sa = (const struct sockaddr *)&n->asked->sa;
		unsigned port = 0;

		if (sa->sa_family == AF_INET6) {
			char a[48];
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof a);
			port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
			snprintf(host, sizeof host, "[%s]:%u", a, port);
		} else {
			char a[16];
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof a);
			port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
			snprintf(host, sizeof host, "%s:%u", a, port);
		}
	}
	switch (n->event) {
	case POLICY_REWRITTEN:
		break; /* the shim logs its own debug line; the seccomp path logs in supervisor.c */
	case POLICY_RETRY:
		cli_warn("bind %s: port %u was taken first; reserving another", host, n->port);
		break;
	case POLICY_FAILED:
		cli_warn("bind %s: %s: %s", host, n->what, strerror(n->err));
		break;
	case POLICY_BAD_CONFIG:
		cli_warn("%s", n->what);
		break;
	case POLICY_UDP_BOUND:
		break; /* launch_bind exports it */
	}
}

/* The UDP side of each reserved sentinel's port, held from its reservation until the
 * program's UDP bind of it (policy.h), or the launch's end. One launch per supervisor. */
static struct {
	uint16_t port;
	int fd;
} udp_holders[2 * EPR_MAX_SENTINELS]; /* 127.0.0.1 and ::1; port 0 in a free slot */

static void udp_hold(uint16_t port, int fd)
{
	for (size_t i = 0; i < sizeof udp_holders / sizeof udp_holders[0]; i++)
		if (udp_holders[i].port == 0) {
			udp_holders[i].port = port;
			udp_holders[i].fd = fd;
			return;
		}
	close(fd); /* cannot happen (one pair per sentinel); then the port is only probed */
}

static int udp_held(uint16_t port)
{
	for (size_t i = 0; i < sizeof udp_holders / sizeof udp_holders[0]; i++)
		if (udp_holders[i].port == port)
			return 1;
	return 0;
}

static void udp_release(uint16_t port)
{
	for (size_t i = 0; i < sizeof udp_holders / sizeof udp_holders[0]; i++)
		if (udp_holders[i].port == port) {
			close(udp_holders[i].fd);
			udp_holders[i].port = 0;
		}
}

void launch_ports_init(struct launch_state *l)
{
	memset(&l->map, 0, sizeof l->map);
	l->n_exports = 0;
	l->n_unmoved = 0;
	l->policy = (struct policy){
		.specs = &l->options->specs,
		.zero = !l->options->no_zero,
		.note = note,
		.udp_hold = udp_hold,
		.udp_held = udp_held,
		.udp_release = udp_release,
	};
}

static unsigned long long socket_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static bool exported(const struct launch_state *l, unsigned long long inode)
{
	for (size_t i = 0; i < l->n_exports; i++)
		if (l->exports[i].inode == inode)
			return true;
	return false;
}

/* Records fd's socket as an export of port for sentinel, and rewrites the env file. */
static int add_export(struct launch_state *l, int fd, uint16_t port, uint16_t sentinel, pid_t pid)
{
	struct launch_export *e;
	int protocol = 0;
	socklen_t optlen = sizeof protocol;

	if (exported(l, socket_inode(fd)))
		return 0;
	if (l->n_exports == LAUNCH_MAX_EXPORTS) {
		cli_warn("warning: %d ports are exported already; port %u is not recorded",
			 LAUNCH_MAX_EXPORTS, port);
		return 0;
	}
	e = &l->exports[l->n_exports++];
	e->port = port;
	e->sentinel = sentinel;
	e->inode = socket_inode(fd);
	e->udp = getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &optlen) == 0 &&
		 protocol == IPPROTO_UDP;
	e->addrlen = sizeof e->addr;
	if (getsockname(fd, (struct sockaddr *)&e->addr, &e->addrlen) != 0)
		e->addrlen = 0;
	e->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	port_map_set_exported(&l->map, port);
	if (launch_write_env(l) == 0)
		return 0;
	cli_warn("cannot write %s: %s", l->options->env_file,
		 errno == EEXIST ? "it is not an env file of epr's; not replacing it" : strerror(errno));
	return errno;
}

int launch_listened(struct launch_state *l, int fd, pid_t pid)
{
	int port = address_bound_port(fd), listening = 0;
	socklen_t len = sizeof listening;
	uint16_t sentinel;

	if (port <= 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return 0;
	if (!port_map_find(&l->map, (uint16_t)port, &sentinel)) {
		launch_unmoved_listened(l, fd, pid); /* a port the user may have forgotten to name */
		return 0;
	}
	return add_export(l, fd, (uint16_t)port, sentinel, pid);
}

int launch_bind(struct launch_state *l, int fd, const struct sockaddr *addr, socklen_t len,
		unsigned *port, pid_t pid)
{
	struct policy_result res;
	int rc;

	*port = 0;
	/* A second bind of a bound socket: the kernel's answer, before anything is reserved or
	 * set on the program's socket. (A seccomp bind restarted after we made it never gets
	 * here: the notifier answers it.) */
	if (policy_candidate(&l->policy, addr, len) && address_bound_port(fd) > 0)
		return EINVAL;
	rc = policy_bind_result(&l->policy, &l->map, fd, addr, len, &res);
	if (rc == POLICY_PASS)
		return POLICY_PASS;
	if (rc < 0)
		return errno ? errno : EINVAL;
	*port = res.port;
	/* UDP never listens: a sentinel's UDP socket receives from now on. */
	return res.export_now ? add_export(l, fd, (uint16_t)res.port, res.sentinel, pid) : 0;
}

int launch_connect(const struct launch_state *l, const struct sockaddr *addr, socklen_t len,
		   unsigned *port)
{
	uint16_t sentinel = policy_connect_sentinel(&l->policy, addr, len);
	const struct port_spec *spec;
	uint16_t mapped;

	if (!sentinel)
		return POLICY_PASS;
	mapped = port_map_sentinel_port(&l->map, sentinel);
	spec = port_specs_find(l->policy.specs, sentinel);
	if (!mapped && spec && spec->pin)
		mapped = spec->pin; /* S=P: the user named its port */
	if (!mapped)
		return ECONNREFUSED;
	*port = mapped;
	return 0;
}

void launch_prune(struct launch_state *l)
{
	static uint16_t ports[LAUNCH_MAX_EXPORTS];
	static unsigned long long inodes[LAUNCH_MAX_EXPORTS];
	static bool found[LAUNCH_MAX_EXPORTS];
	size_t kept = 0;

	for (size_t i = 0; i < l->n_exports; i++) {
		ports[i] = l->exports[i].port;
		inodes[i] = l->exports[i].inode;
	}
	/* An export is dropped only when the kernel said, of its own port, that it is gone. */
	if (listeners_find(ports, inodes, found, l->n_exports) != 0)
		return; /* no sock_diag: keep what we have rather than guess */
	for (size_t i = 0; i < l->n_exports; i++) {
		if (found[i])
			l->exports[kept++] = l->exports[i];
		else if (l->exports[i].pidfd >= 0)
			close(l->exports[i].pidfd);
	}
	if (kept == l->n_exports)
		return;
	l->n_exports = kept;
	if (launch_write_env(l) != 0)
		cli_warn("writing %s: %s", l->options->env_file, strerror(errno));
}

void launch_export_exited(struct launch_state *l, size_t i)
{
	/* Its socket may live on in a process it forked: then only the pidfd goes. */
	close(l->exports[i].pidfd);
	l->exports[i].pidfd = -1;
}

/* The first export of sentinel (0: of any port), or NULL. */
static const struct launch_export *export_of(const struct launch_state *l, uint16_t sentinel,
					     bool any)
{
	for (size_t i = 0; i < l->n_exports; i++)
		if (any || l->exports[i].sentinel == sentinel)
			return &l->exports[i];
	return NULL;
}

const struct launch_export *launch_first_export(const struct launch_state *l)
{
	const struct port_specs *specs = &l->options->specs;
	const struct launch_export *first = NULL;

	for (size_t i = 0; i < specs->n && !first; i++)
		first = export_of(l, specs->item[i].sentinel, false);
	return first ? first : export_of(l, 0, true);
}

/* The first export of sentinel, over UDP or TCP as udp says; NULL if none. */
static const struct launch_export *export_over(const struct launch_state *l, uint16_t sentinel,
					       bool udp)
{
	for (size_t i = 0; i < l->n_exports; i++)
		if (l->exports[i].sentinel == sentinel && l->exports[i].udp == udp)
			return &l->exports[i];
	return NULL;
}

bool launch_ready(struct launch_state *l)
{
	const struct port_specs *specs = &l->options->specs;

	for (size_t i = 0; i < specs->n; i++) {
		unsigned on = l->options->ready_on[i]; /* -p S/tcp, S/udp: what the user said */
		uint16_t sentinel = specs->item[i].sentinel;
		const struct launch_export *e = export_of(l, sentinel, false);

		if ((on & READY_ON_TCP) && !export_over(l, sentinel, false)) {
			snprintf(l->why, sizeof l->why, "port %u is not listening over TCP yet", sentinel);
			return false;
		}
		if ((on & READY_ON_UDP) && !export_over(l, sentinel, true)) {
			snprintf(l->why, sizeof l->why, "port %u is not bound over UDP yet", sentinel);
			return false;
		}
		if (!e) {
			snprintf(l->why, sizeof l->why, "port %u is not listening yet", sentinel);
			return false;
		}
		/* A UDP export alone is not enough while a TCP socket sits bound to the same
		 * port: the program serves both, and its TCP listen is still to come. */
		if (!on && listeners_listen_pending(e->port) == 1) {
			snprintf(l->why, sizeof l->why, "port %u is bound over TCP but not listening yet",
				 sentinel);
			return false;
		}
	}
	if (!specs->n && !export_of(l, 0, true)) {
		/* not "no port" right under the unmoved ports named at -t */
		snprintf(l->why, sizeof l->why, "no port %sis listening yet",
			 l->n_unmoved ? "that epr moved " : "");
		return false;
	}
	return true;
}

static int set_number(struct envfile *ef, const char *key, unsigned long long n)
{
	char value[24];

	snprintf(value, sizeof value, "%llu", n);
	return envfile_set(ef, key, value);
}

/* EPR_PORT (the first sentinel's port with -p, else the first listening), EPR_PORT_<S> and
 * the list, then what epr start adds. Written whole: the supervisor is the only writer. */
static int fill(struct envfile *ef, void *arg)
{
	const struct launch_state *l = arg;
	const struct port_specs *specs = &l->options->specs;
	const struct launch_export *first = launch_first_export(l);
	char list[LAUNCH_MAX_EXPORTS * 6 + 1] = "", key[32];
	size_t used = 0;

	/* Only ever replace a file that epr wrote. */
	if (ef->len && !envfile_is_epr(ef)) {
		errno = EEXIST;
		return -1;
	}
	envfile_init(ef);
	if (first && set_number(ef, EPR_KEY_PORT, first->port) != 0)
		return -1;
	for (size_t i = 0; i < specs->n; i++) {
		const struct launch_export *e = export_of(l, specs->item[i].sentinel, false);

		snprintf(key, sizeof key, EPR_KEY_PORT_PREFIX "%u", specs->item[i].sentinel);
		if (e && set_number(ef, key, e->port) != 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_exports; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || l->exports[j].port == l->exports[i].port;
		if (!seen)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%u", used ? "," : "",
						 l->exports[i].port);
	}
	if (used && envfile_set(ef, EPR_KEY_PORT_LIST, list) != 0)
		return -1;
	if (launch_main_pid(l) > 0 &&
	    (set_number(ef, EPR_KEY_PID, (unsigned long long)launch_main_pid(l)) != 0 ||
	     set_number(ef, EPR_KEY_PID_START, proc_start_time(launch_main_pid(l))) != 0))
		return -1;
	if (set_number(ef, EPR_KEY_SUPERVISOR_PID, (unsigned long long)getpid()) != 0 ||
	    set_number(ef, EPR_KEY_SUPERVISOR_START, proc_start_time(getpid())) != 0)
		return -1;
	if (l->log && envfile_set(ef, EPR_KEY_LOG, l->log) != 0)
		return -1;
	if (l->tmpdir && envfile_set(ef, EPR_KEY_TMPDIR, l->tmpdir) != 0)
		return -1;
	return 0;
}

pid_t launch_main_pid(const struct launch_state *l)
{
	return l->wait.notify_mainpid > 0 ? l->wait.notify_mainpid : l->main_pid;
}

int launch_write_env(struct launch_state *l)
{
	static struct envfile ef;
	const char *path = l->options->env_file;

	if (!path)
		return 0;
	/* Write and rename, no lock: the launch's claim on the file (launch_registry.c) makes
	 * the supervisor its only writer. Read first: only a file of epr's is replaced. */
	if (envfile_read(path, &ef) != 0 || fill(&ef, l) != 0)
		return -1;
	return envfile_replace(path, &ef);
}
