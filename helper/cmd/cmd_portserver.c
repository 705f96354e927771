/* epr portserver [ADDRESS]: portpicker's portserver protocol, with ports from the TIME_WAIT
 * reservation held until each client process exits (helper/hold/port_pool.c). One thread,
 * one epoll loop: no client's silence stalls another's answer. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include "cli.h"
#include "epr_env.h"
#include "hold.h"
#include "port_pool.h"
#include "portserver_client.h"

#define MAX_CLIENTS 1024          /* connections waiting for their request line */
#define REQUEST_MAX 20            /* portpicker's server refuses more than 20 characters */
#define CLIENT_TIMEOUT_SECONDS 30.0 /* a client descheduled on a loaded host still gets its port */

/* What an epoll event is about: the tag in the top bits, an index below. */
enum { TAG_LISTENER = 1, TAG_SIGNAL, TAG_CLIENT, TAG_OWNER };
#define EVENT(tag, index) ((uint64_t)(tag) << 32 | (uint32_t)(index))

struct client {
	int fd; /* -1: a free slot */
	char buf[REQUEST_MAX + 2];
	size_t have;
	double deadline;
};

struct server {
	int epoll, signals;
	struct port_pool pool;
	struct client clients[MAX_CLIENTS];
	bool verbose;
};

static void usage(void)
{
	printf("Usage: epr portserver [-v] [--tcp PORT] [ADDRESS]\n"
	       "Serve portpicker's portserver protocol on the unix socket ADDRESS: a client sends\n"
	       "its pid and a newline, and gets a port and a newline. The port is reserved with\n"
	       "the TIME_WAIT trick and held until that process exits, then returns to the pool\n"
	       "once it is free on TCP and UDP. SIGUSR1 prints the counts on stderr.\n"
	       "\n"
	       "  ADDRESS     @NAME for the abstract namespace, or a path (default %s);\n"
	       "              clients find it in %s\n"
	       "  --tcp PORT  also serve on 127.0.0.1:PORT (0: any; the default under epr start,\n"
	       "              which then sees the server listen)\n"
	       "  -v, --verbose  log each request on stderr\n"
	       "  -h, --help  show this help\n",
	       PORTSERVER_DEFAULT_ADDRESS, EPR_ENV_PORTSERVER);
}

static void watch(struct server *s, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(s->epoll, EPOLL_CTL_ADD, fd, &ev) < 0)
		cli_fail("portserver: epoll_ctl: %s", strerror(errno));
}

/* The unix listener on address; exits 1 if another server has it. */
static int listen_unix(const char *address)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	size_t n = strlen(address);
	struct stat st;
	socklen_t len;
	int fd;

	if (n == 0 || n >= sizeof(un.sun_path) || (address[0] == '@' && n == 1))
		cli_usage_error("ADDRESS: '%s' is not @NAME or a path of at most %zu bytes", address,
				sizeof(un.sun_path) - 1);
	memcpy(un.sun_path, address, n);
	if (address[0] == '@')
		un.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (address[0] != '@'));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		cli_fail("portserver: socket: %s", strerror(errno));
	/* A path left by a server that is gone (nothing answers there) is taken over. */
	if (address[0] != '@' && lstat(address, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    portserver_request(address, 1) == -ECONNREFUSED)
		unlink(address);
	if (bind(fd, (struct sockaddr *)&un, len) < 0)
		cli_fail("portserver: %s: %s%s", address, strerror(errno),
			 errno == EADDRINUSE ? " (another portserver serves it)" : "");
	if (listen(fd, SOMAXCONN) < 0)
		cli_fail("portserver: listen on %s: %s", address, strerror(errno));
	return fd;
}

/* The TCP listener, through libc's bind and listen, which the shim of an epr launch sees. */
static int listen_tcp(uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(fd, SOMAXCONN) < 0)
		cli_fail("portserver: --tcp 127.0.0.1:%u: %s", port, strerror(errno));
	return fd;
}

static void print_counts(const struct server *s)
{
	const struct port_pool *p = &s->pool;

	/* portpicker's names first, so that the same log readers work */
	fprintf(stderr,
		"epr portserver: client-request-errors %lu\n"
		"epr portserver: denied-allocations %lu\n"
		"epr portserver: num-ports-managed %d\n"
		"epr portserver: num-ports-checked-for-last-request %lu\n"
		"epr portserver: total-allocations %lu\n"
		"epr portserver: ports-assigned %d ports-free %d ports-draining %d\n",
		p->request_errors, p->denied, p->n, p->checked_last, p->allocations,
		pool_count(p, POOL_ASSIGNED), pool_count(p, POOL_FREE), pool_count(p, POOL_DRAINING));
}

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
}

/* The request's pid, or 0 when it is not one (portpicker's int(): digits, spaces around). */
static pid_t parse_request(const char *buf, size_t n)
{
	char text[REQUEST_MAX + 2];
	size_t a = 0, b = n;

	while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
		a++;
	while (b > a && (buf[b - 1] == '\n' || buf[b - 1] == '\r' || buf[b - 1] == ' ' ||
			 buf[b - 1] == '\t'))
		b--;
	memcpy(text, buf + a, b - a);
	text[b - a] = '\0';
	return cli_pid(text);
}

/* Answers a complete request: a port for a live pid other than 1, or nothing, as
 * portpicker's server does. */
static void answer(struct server *s, struct client *c)
{
	pid_t pid = parse_request(c->buf, c->have);
	unsigned long long start;
	unsigned port;
	char reply[16];
	int pidfd = -1, i, n;

	if (pid == 0) {
		s->pool.request_errors++;
		cli_warn("portserver: not a pid: '%.*s'", (int)c->have, c->buf);
		return;
	}
	if (pid == 1) /* a client reparented to init meant its parent, which is gone */
		goto deny;
	pidfd = hold_pidfd_open(pid);
	if (pidfd < 0 && pidfd != -ENOSYS)
		goto deny;
	/* After the pidfd: a running process with this start time is the pidfd's own. */
	start = proc_start_time(pid);
	if (!proc_running(pid, start))
		goto deny;
	i = pool_take(&s->pool, pid, start, pidfd < 0 ? -1 : pidfd);
	if (i < 0) {
		cli_warn("portserver: no port for pid %d: %s", (int)pid, strerror(-i));
		goto deny;
	}
	if (pidfd >= 0)
		watch(s, pidfd, EPOLLIN, EVENT(TAG_OWNER, i));
	port = s->pool.ports[i].port;
	/* The line comes before the answer: a client that has its port finds it logged. */
	if (s->verbose)
		fprintf(stderr, "epr portserver: port %u for pid %d\n", port, (int)pid);
	n = snprintf(reply, sizeof reply, "%u\n", port);
	if (send(c->fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		pool_release(&s->pool, i); /* the client left: its port goes back */
		if (s->verbose)
			fprintf(stderr, "epr portserver: pid %d left before its answer; port %u is back\n",
				(int)pid, port);
	}
	return;
deny:
	if (pidfd >= 0)
		close(pidfd);
	s->pool.denied++;
	if (s->verbose)
		fprintf(stderr, "epr portserver: no port for pid %d\n", (int)pid);
}

static void client_readable(struct server *s, struct client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0)
		c->have += (size_t)r;
	if (r > 0 && c->have > REQUEST_MAX && !memchr(c->buf, '\n', c->have)) {
		s->pool.request_errors++;
		client_close(c);
		return;
	}
	if (r > 0 && !memchr(c->buf, '\n', c->have))
		return;
	if (c->have > 0)
		answer(s, c);
	client_close(c);
}

static void accept_clients(struct server *s, int listener)
{
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1;

		if (fd < 0)
			return; /* EAGAIN: all taken; EMFILE and the like: the next event retries */
		for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
			if (s->clients[i].fd < 0)
				slot = i;
		if (slot < 0) {
			s->pool.request_errors++;
			close(fd);
			continue;
		}
		s->clients[slot] = (struct client){ .fd = fd, .deadline = now_seconds() + CLIENT_TIMEOUT_SECONDS };
		watch(s, fd, EPOLLIN | EPOLLRDHUP, EVENT(TAG_CLIENT, slot));
	}
}

/* Clients that have not sent their line in time are dropped. */
static void expire_clients(struct server *s)
{
	double now = now_seconds();

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && now > s->clients[i].deadline) {
			s->pool.request_errors++;
			client_close(&s->clients[i]);
		}
}

/* SIGUSR1 prints the counts; the others end the server. True to go on. */
static bool on_signals(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->signals, &si, sizeof(si)) == sizeof(si)) {
		print_counts(s);
		if (si.ssi_signo != SIGUSR1)
			return false;
	}
	return true;
}

static int open_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		cli_fail("portserver: signalfd: %s", strerror(errno));
	return fd;
}

/* One pidfd and one connection per client: as many descriptors as the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

static int serve(struct server *s)
{
	double next_tick = 0;

	for (;;) {
		struct epoll_event events[64];
		int n = epoll_wait(s->epoll, events, 64, (int)(HOLD_TICK_SECONDS * 1000));

		if (n < 0 && errno != EINTR)
			cli_fail("portserver: epoll_wait: %s", strerror(errno));
		for (int k = 0; k < n; k++) {
			uint32_t tag = (uint32_t)(events[k].data.u64 >> 32);
			uint32_t index = (uint32_t)events[k].data.u64;

			if (tag == TAG_LISTENER)
				accept_clients(s, (int)index);
			else if (tag == TAG_SIGNAL && !on_signals(s))
				return EXIT_SUCCESS;
			else if (tag == TAG_CLIENT && s->clients[index].fd >= 0)
				client_readable(s, &s->clients[index]);
			else if (tag == TAG_OWNER)
				pool_release(&s->pool, (int)index);
		}
		if (now_seconds() >= next_tick) {
			pool_tick(&s->pool);
			expire_clients(s);
			next_tick = now_seconds() + HOLD_TICK_SECONDS;
		}
	}
}

int cmd_portserver(int argc, char *argv[])
{
	enum { OPT_TCP = 256 };
	static const struct option options[] = {
		{ "tcp", required_argument, NULL, OPT_TCP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct server s;
	const char *address = PORTSERVER_DEFAULT_ADDRESS;
	/* under epr start, a TCP listener is what the launch waits for */
	bool tcp = getenv(EPR_ENV_SUPERVISOR) != NULL;
	uint16_t tcp_port = 0;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "+:vh", options, NULL)) != -1) {
		switch (opt) {
		case OPT_TCP:
			if (port_parse(optarg, strlen(optarg), &tcp_port) != 0 && strcmp(optarg, "0") != 0)
				cli_usage_error("--tcp: '%s' is not a port (0-65535)", optarg);
			tcp = true;
			break;
		case 'v':
			s.verbose = true;
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			return EXIT_SUCCESS;
		default:
			cli_bad_option(argv, opt);
		}
	}
	if (argc - optind > 1)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc)
		address = argv[optind];
	raise_fd_limit();
	for (int i = 0; i < MAX_CLIENTS; i++)
		s.clients[i].fd = -1;
	pool_init(&s.pool);
	s.epoll = epoll_create1(EPOLL_CLOEXEC);
	if (s.epoll < 0)
		cli_fail("portserver: epoll_create1: %s", strerror(errno));
	s.signals = open_signals();
	watch(&s, s.signals, EPOLLIN, EVENT(TAG_SIGNAL, 0));
	fd = listen_unix(address);
	watch(&s, fd, EPOLLIN, EVENT(TAG_LISTENER, fd));
	if (tcp) {
		fd = listen_tcp(tcp_port);
		watch(&s, fd, EPOLLIN, EVENT(TAG_LISTENER, fd));
	}
	fprintf(stderr, "epr portserver: serving on %s\n", address);
	opt = serve(&s);
	if (address[0] != '@')
		unlink(address);
	return opt;
}
