/* epr reserve [-n N] [--hold [SECONDS]] [--hold-for PID|parent] [IP [PORT]]: reserve ports
 * with the TIME_WAIT trick and print them, with the contract of the classic
 * ephemeral-port-reserve; hold them longer in the background; or ask a portserver. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "epr_env.h"
#include "hold.h"
#include "ip_arg.h"
#include "portserver_client.h"
#include "reserve.h"

#define RESERVE_MAX_COUNT 1024

static void usage(void)
{
	printf("Usage: %s [-n N] [--hold [SECONDS]] [--hold-for PID|parent] [IP [PORT]]\n"
	       "Reserve a free TCP port on IP and print it. The port is left in TIME_WAIT: the\n"
	       "kernel will not hand it out as an ephemeral port for about 60 seconds, but a\n"
	       "server that binds it with SO_REUSEADDR can take it.\n"
	       "\n"
	       "  IP          a local address, IPv4 or IPv6 (default 127.0.0.1), or a host\n"
	       "              name (its first IPv4 address)\n"
	       "  PORT        a preferred port, returned if it can be reserved, or if it was\n"
	       "              just reserved (0: none)\n"
	       "  -n, --count N  print N distinct ports, one a line (1-%d)\n"
	       "  --hold [SECONDS]  keep the ports reserved in the background, past 60 s, until a\n"
	       "              server listens on them, SECONDS pass, or the --hold-for process\n"
	       "              exits (without SECONDS and --hold-for: until this one's parent exits)\n"
	       "  --hold-for PID|parent  hold until process PID (or this one's parent) exits\n"
	       "  -h, --help  show this help\n"
	       "\n"
	       "With %s set and no IP, PORT or --hold SECONDS, the ports come from\n"
	       "that portserver (epr portserver, or portpicker's), held for the --hold-for\n"
	       "process, by default this one's parent.\n",
	       cli_command, RESERVE_MAX_COUNT, EPR_ENV_PORTSERVER);
}

/* A host name, resolved as the classic tool's bind() on an IPv4 socket resolves it (Python
 * takes the first IPv4 address getaddrinfo gives; "" is INADDR_ANY). */
static socklen_t resolve_name(const char *text, uint16_t port, struct sockaddr_storage *addr)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *found;
	socklen_t len;
	int error;

	if (!*text)
		return ip_arg_parse("0.0.0.0", port, addr);
	error = getaddrinfo(text, NULL, &hints, &found);
	if (error)
		cli_usage_error("'%s' is not an IPv4 or IPv6 address, nor a name with an IPv4 "
				"address (%s)", text, gai_strerror(error));
	len = found->ai_addrlen;
	memcpy(addr, found->ai_addr, len);
	freeaddrinfo(found);
	((struct sockaddr_in *)addr)->sin_port = htons(port);
	return len;
}

/* Fills addr from an IP, or a host name; exits with a usage error if it is neither. */
static socklen_t parse_address(const char *text, uint16_t port, struct sockaddr_storage *addr)
{
	socklen_t len = ip_arg_parse(text, port, addr);

	return len ? len : resolve_name(text, port, addr);
}

static uint16_t parse_preferred_port(const char *text)
{
	uint16_t port;

	if (strcmp(text, "0") == 0)
		return 0;
	if (port_parse(text, strlen(text), &port) != 0)
		cli_usage_error("PORT: '%s' is not a port (0-65535)", text);
	return port;
}

static int parse_count(const char *text)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < 1 || n > RESERVE_MAX_COUNT)
		cli_usage_error("-n: '%s' is not a count (1-%d)", text, RESERVE_MAX_COUNT);
	return (int)n;
}

static bool already_given(const uint16_t *ports, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static void set_port(struct sockaddr_storage *addr, uint16_t port)
{
	if (addr->ss_family == AF_INET)
		((struct sockaddr_in *)addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
}

/* The hold's options: how long, and whose exit ends it. */
struct hold_options {
	bool hold;        /* --hold or --hold-for */
	double seconds;   /* --hold SECONDS; 0: no limit */
	pid_t owner;      /* --hold-for: a pid, or 0 for none */
	bool owner_given; /* --hold-for, with PID or parent */
};

/* True when text is a number of seconds: --hold's optional argument may follow as a word
 * of its own ("--hold 600"), and no IP reads so. */
static bool looks_like_seconds(const char *text)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	return !errno && end != text && !*end && text[0] >= '0' && text[0] <= '9' && v >= 0;
}

static pid_t parse_hold_for(const char *text)
{
	pid_t pid;

	if (strcmp(text, "parent") == 0) {
		pid = getppid();
		if (pid <= 1)
			cli_fail("--hold-for parent: this process has no parent left to wait for");
		return pid;
	}
	pid = cli_pid(text);
	if (pid == 0)
		cli_usage_error("--hold-for: '%s' is not a process id or 'parent'", text);
	return pid;
}

/* A pidfd for the process whose exit ends the hold, or -1 for none; exits 1 if it is gone. */
static int owner_pidfd(const struct hold_options *h)
{
	int fd;

	if (!h->owner)
		return -1;
	fd = hold_pidfd_open(h->owner);
	if (fd == -ENOSYS)
		cli_fail("--hold-for: this kernel has no pidfd_open (Linux 5.3 or later needed)");
	if (fd < 0)
		cli_fail("--hold-for: process %d: %s", (int)h->owner, strerror(-fd));
	return fd;
}

/* Forks the holder of the ports, before they are printed: a caller that reads them finds
 * them held. */
static pid_t start_hold(const struct hold_options *h, const uint16_t *ports, int n,
			const struct sockaddr_storage *addr, socklen_t len)
{
	int pidfd = owner_pidfd(h);
	double deadline = h->seconds > 0 ? now_seconds() + h->seconds : 0;
	pid_t holder;

	cli_flush_stdout();
	holder = hold_start(ports, n, addr, len, deadline, pidfd);
	if (holder < 0)
		cli_fail("--hold: cannot start the holder: %s", strerror(errno));
	if (pidfd >= 0)
		close(pidfd);
	return holder;
}

/* Ports from the portserver at address, held until owner exits; false (with a warning)
 * when it cannot give them, so that the caller reserves them itself. */
static bool ask_portserver(const char *address, pid_t owner, int count)
{
	for (int i = 0; i < count; i++) {
		int port = portserver_request(address, owner);

		if (port < 0) {
			if (i > 0)
				cli_fail("%s=%s: %d ports given, then: %s", EPR_ENV_PORTSERVER,
					 address, i, port == -EPERM ? "refused" : strerror(-port));
			cli_warn("%s=%s: %s; reserving without it", EPR_ENV_PORTSERVER, address,
				 port == -EPERM ? "the portserver refused the request"
						: strerror(-port));
			return false;
		}
		printf("%d\n", port);
	}
	cli_flush_stdout();
	return true;
}

int cmd_reserve(int argc, char *argv[])
{
	static char out_buffer[RESERVE_MAX_COUNT * 6]; /* every port, "65535\n" each */
	enum { OPT_HOLD = 256, OPT_HOLD_FOR };
	static const struct option options[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "hold", optional_argument, NULL, OPT_HOLD },
		{ "hold-for", required_argument, NULL, OPT_HOLD_FOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint16_t ports[RESERVE_MAX_COUNT];
	struct sockaddr_storage addr;
	struct hold_options hold = { 0 };
	const char *ip = "127.0.0.1", *portserver = getenv(EPR_ENV_PORTSERVER);
	uint16_t preferred = 0;
	int count = 1, given = 0, attempts, opt;
	pid_t holder = 0;
	socklen_t len;

	if (strcmp(cli_command, "ephemeral-port-reserve") == 0)
		cli_usage_status = EXIT_FAILURE;
	/* A buffer of our own: stdio's first write would otherwise fstat stdout, check for a
	 * terminal and malloc one, a tenth of what epr reserve cost beyond /bin/true. */
	setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);

	while ((opt = getopt_long(argc, argv, "+:n:h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			count = parse_count(optarg);
			break;
		case OPT_HOLD:
			hold.hold = true;
			if (!optarg && optind < argc && looks_like_seconds(argv[optind]))
				optarg = argv[optind++];
			if (optarg)
				hold.seconds = cli_seconds("--hold", optarg);
			break;
		case OPT_HOLD_FOR:
			hold.hold = hold.owner_given = true;
			hold.owner = parse_hold_for(optarg);
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			return EXIT_SUCCESS;
		default:
			cli_bad_option(argv, opt);
		}
	}
	if (argc - optind > 2)
		cli_usage_error("unexpected argument '%s'", argv[optind + 2]);
	if (optind < argc)
		ip = argv[optind];
	if (optind + 1 < argc)
		preferred = parse_preferred_port(argv[optind + 1]);
	len = parse_address(ip, preferred, &addr);
	/* portpicker's rule: a portserver when one is named, for the caller's process. */
	if (portserver && *portserver && optind == argc && hold.seconds == 0 &&
	    ask_portserver(portserver, hold.owner_given ? hold.owner : getppid(), count))
		return EXIT_SUCCESS;
	/* --hold alone: until the caller (a shell, a test runner) exits, or a server listens */
	if (hold.hold && !hold.owner_given && hold.seconds == 0)
		hold.owner = parse_hold_for("parent");

	/* Ports in TIME_WAIT are not handed out again by the kernel, but a preferred port or
	 * a race with another process might be: retry, a bounded number of times. A preferred
	 * port is bound with SO_REUSEADDR, as the classic tool binds it: one just reserved (in
	 * TIME_WAIT) is returned again. */
	for (attempts = 0; given < count && attempts < 4 * count + 16; attempts++) {
		int port = reserve_port((struct sockaddr *)&addr, len, RESERVE_REUSE);

		if (port == -EADDRNOTAVAIL)
			cli_fail("%s: not a local address (%s)", ip, strerror(EADDRNOTAVAIL));
		if (port == -EAGAIN)
			cli_fail("no free port on %s: the ephemeral port range is used up "
				 "(ports in TIME_WAIT free up within 60 s)", ip);
		if (port < 0)
			cli_fail("reserving a port on %s: %s", ip, strerror(-port));
		set_port(&addr, 0); /* only the first port is the preferred one */
		if (already_given(ports, given, (uint16_t)port))
			continue;
		ports[given++] = (uint16_t)port;
	}
	if (given < count)
		cli_fail("reserved only %d distinct ports on %s, not %d", given, ip, count);
	if (hold.hold)
		holder = start_hold(&hold, ports, given, &addr, len);
	for (int i = 0; i < given; i++)
		printf("%d\n", ports[i]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int err = errno;

		if (holder > 0) /* nobody got the ports: hold them for nobody */
			kill(holder, SIGKILL);
		cli_fail("writing to stdout: %s", strerror(err));
	}
	return EXIT_SUCCESS;
}
