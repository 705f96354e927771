/* epr reserve [-n N] [IP [PORT]]: reserve ports with the TIME_WAIT trick and print them,
 * with the contract of the classic ephemeral-port-reserve. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ip_arg.h"
#include "reserve.h"

#define RESERVE_MAX_COUNT 1024

static void usage(void)
{
	printf("Usage: %s [-n N] [IP [PORT]]\n"
	       "Reserve a free TCP port on IP and print it. The port is left in TIME_WAIT: the\n"
	       "kernel will not hand it out as an ephemeral port for about 60 seconds, but a\n"
	       "server that binds it with SO_REUSEADDR can take it.\n"
	       "\n"
	       "  IP          a local address, IPv4 or IPv6 (default 127.0.0.1), or a host\n"
	       "              name (its first IPv4 address)\n"
	       "  PORT        a preferred port, returned if it can be reserved, or if it was\n"
	       "              just reserved (0: none)\n"
	       "  -n, --count N  print N distinct ports, one a line (1-%d)\n"
	       "  -h, --help  show this help\n",
	       cli_command, RESERVE_MAX_COUNT);
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

int cmd_reserve(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint16_t ports[RESERVE_MAX_COUNT];
	struct sockaddr_storage addr;
	const char *ip = "127.0.0.1";
	uint16_t preferred = 0;
	int count = 1, given = 0, attempts, opt;
	socklen_t len;

	if (strcmp(cli_command, "ephemeral-port-reserve") == 0)
		cli_usage_status = EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "+:n:h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			count = parse_count(optarg);
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
		printf("%d\n", port);
	}
	cli_flush_stdout();
	if (given < count)
		cli_fail("reserved only %d distinct ports on %s, not %d", given, ip, count);
	return EXIT_SUCCESS;
}
