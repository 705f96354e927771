/* Listeners on ports epr was not told to move: a process of the tree listens on a port it
 * asked for by number, and that number is no sentinel: the user most likely forgot its -p.
 * Said by name at once with -v, and again in epr start's -t message, where "port S is not
 * listening yet" alone sends the user to a log that says the server is ready. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "launch.h"

#define SAID_AT_TIMEOUT 4 /* the newest ones the -t message names */

/* Whether the kernel may have chosen port itself: for a bind of port 0 left to it
 * (--no-zero) or a listen on an unbound socket it picks only from
 * net.ipv4.ip_local_port_range (this network namespace's). A port outside that range was
 * asked for by number. */
static bool kernel_may_choose(unsigned port)
{
	unsigned low = 32768, high = 60999; /* the kernel's default */
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f) {
		if (fscanf(f, "%u %u", &low, &high) != 2)
			low = 32768, high = 60999;
		fclose(f);
	}
	return port >= low && port <= high;
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* "127.0.0.1:6379" or "[::1]:6379", as ss prints them. */
static void format_address(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, sizeof host);
		snprintf(out, cap, "[%s]:%u", host, port_of(ss));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof host);
		snprintf(out, cap, "%s:%u", host, port_of(ss));
	}
}

static void say(const char *name, const char *where, unsigned port)
{
	cli_warn("%s listens on %s, which epr was not told to move; add -p %u", name, where, port);
}

static bool same_port(const struct launch_unmoved *a, const struct launch_unmoved *b)
{
	return strcmp(a->name, b->name) == 0 && port_of(&a->addr) == port_of(&b->addr);
}

/* The same program on the same address and port: a prefork server's workers, or a server
 * restarted by its wrapper, are said once. */
static bool same(const struct launch_unmoved *a, const struct launch_unmoved *b)
{
	size_t len = a->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_in);

	return strcmp(a->name, b->name) == 0 && a->addr.ss_family == b->addr.ss_family &&
	       memcmp(&a->addr, &b->addr, len) == 0;
}

void launch_unmoved_listened(struct launch_state *l, int fd, pid_t pid)
{
	struct launch_unmoved u;
	socklen_t len = sizeof u.addr;
	struct stat st;

	memset(&u, 0, sizeof u);
	if (getsockname(fd, (struct sockaddr *)&u.addr, &len) != 0 ||
	    (u.addr.ss_family != AF_INET && u.addr.ss_family != AF_INET6) ||
	    port_of(&u.addr) == 0 || kernel_may_choose(port_of(&u.addr)))
		return;
	if (proc_name(pid, u.name, sizeof u.name) != 0)
		snprintf(u.name, sizeof u.name, "process %d", (int)pid);
	u.inode = fstat(fd, &st) == 0 ? (unsigned long long)st.st_ino : 0;
	for (size_t i = 0; i < l->n_unmoved; i++) {
		if (same(&l->unmoved[i], &u)) {
			/* said already: it becomes the newest, with the socket that listens now */
			memmove(&l->unmoved[i], &l->unmoved[i + 1],
				(l->n_unmoved - i - 1) * sizeof l->unmoved[0]);
			l->unmoved[l->n_unmoved - 1] = u;
			return;
		}
	}
	if (l->n_unmoved == LAUNCH_MAX_UNMOVED) {
		memmove(&l->unmoved[0], &l->unmoved[1], (l->n_unmoved - 1) * sizeof l->unmoved[0]);
		l->n_unmoved--;
	}
	l->unmoved[l->n_unmoved++] = u;
	if (l->options->verbose) {
		char where[INET6_ADDRSTRLEN + 16];

		format_address(&u.addr, where, sizeof where);
		say(u.name, where, port_of(&u.addr));
	}
}

/* Whether entry i is the first that found[] marks as listening of its program and port. */
static bool first_of_port(const struct launch_state *l, const bool *found, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (found[j] && same_port(&l->unmoved[j], &l->unmoved[i]))
			return false;
	return found[i];
}

/* One line for the program and port of entry i: every address it listens on there, "A, B
 * and C". */
static void say_port(const struct launch_state *l, const bool *found, size_t i)
{
	char where[4 * (INET6_ADDRSTRLEN + 16)] = "", one[INET6_ADDRSTRLEN + 16];
	size_t used = 0, count = 0, total = 0;

	for (size_t j = i; j < l->n_unmoved; j++)
		total += found[j] && same_port(&l->unmoved[j], &l->unmoved[i]);
	for (size_t j = i; j < l->n_unmoved && used < sizeof where; j++) {
		if (!found[j] || !same_port(&l->unmoved[j], &l->unmoved[i]))
			continue;
		format_address(&l->unmoved[j].addr, one, sizeof one);
		count++;
		used += (size_t)snprintf(where + used, sizeof where - used, "%s%s",
					 count == 1 ? "" : count == total ? " and " : ", ", one);
	}
	say(l->unmoved[i].name, where, port_of(&l->unmoved[i].addr));
}

void launch_unmoved_say(const struct launch_state *l)
{
	static uint16_t ports[LAUNCH_MAX_UNMOVED];
	static unsigned long long inodes[LAUNCH_MAX_UNMOVED];
	static bool found[LAUNCH_MAX_UNMOVED];
	size_t n = l->n_unmoved, lines = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		ports[i] = (uint16_t)port_of(&l->unmoved[i].addr);
		inodes[i] = l->unmoved[i].inode;
	}
	/* Only what still listens; without sock_diag, all of them rather than none. */
	if (listeners_find(ports, inodes, found, n) != 0)
		memset(found, 1, sizeof found);
	/* One line per program and port, the newest SAID_AT_TIMEOUT of them. */
	for (size_t i = 0; i < n; i++)
		lines += first_of_port(l, found, i);
	for (size_t i = 0; i < n; i++) {
		if (!first_of_port(l, found, i))
			continue;
		if (lines-- <= SAID_AT_TIMEOUT)
			say_port(l, found, i);
	}
}
