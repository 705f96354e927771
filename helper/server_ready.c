/* When is a server started by epr start ready? When its env file names every sentinel
 * asked for (or at least one port when none was) and each exported port takes a connect. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"

static bool connects(int family, const void *ip, uint16_t port)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	/* A full backlog drops the SYN rather than refusing it: do not wait for a retry. */
	struct timeval limit = { .tv_sec = 0, .tv_usec = 500000 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
	if (family == AF_INET) {
		memcpy(&in4.sin_addr, ip, sizeof in4.sin_addr);
		ok = connect(fd, (struct sockaddr *)&in4, sizeof in4) == 0;
	} else {
		memcpy(&in6.sin6_addr, ip, sizeof in6.sin6_addr);
		ok = connect(fd, (struct sockaddr *)&in6, sizeof in6) == 0;
	}
	close(fd);
	return ok;
}

static bool port_answers(uint16_t port)
{
	struct in_addr lo4 = { .s_addr = htonl(INADDR_LOOPBACK) };

	return connects(AF_INET, &lo4, port) || connects(AF_INET6, &in6addr_loopback, port);
}

int server_ready(const char *env_file, const struct port_specs *specs, char *why, size_t cap)
{
	static struct envfile ef;
	char ports[ENVFILE_MAX], key[32], value[16];
	const char *item, *end;

	if (envfile_read(env_file, &ef) != 0)
		return -1;
	for (size_t i = 0; i < specs->n; i++) {
		snprintf(key, sizeof key, EPR_KEY_PORT_PREFIX "%u", specs->item[i].sentinel);
		if (envfile_get(&ef, key, value, sizeof value) < 0) {
			snprintf(why, cap, "%s has no %s", env_file, key);
			return 0;
		}
	}
	if (envfile_get(&ef, EPR_KEY_PORTS, ports, sizeof ports) <= 0) {
		snprintf(why, cap, "%s names no port", env_file);
		return 0;
	}
	for (item = ports; *item; item = *end ? end + 1 : end) {
		uint16_t port;

		end = strchrnul(item, ',');
		if (port_parse(item, (size_t)(end - item), &port) != 0) {
			snprintf(why, cap, "%s: EPR_PORTS has '%.*s', not a port", env_file,
				 (int)(end - item), item);
			return 0;
		}
		if (!port_answers(port)) {
			snprintf(why, cap, "port %u refuses connections on 127.0.0.1 and ::1", port);
			return 0;
		}
	}
	return 1;
}
