/* The ports this process was handed, passed on across execve() in EPR_BOUND, so that a
 * socket bound in one program image and listened on in the next is still exported (bare
 * shim), or still says its sentinel to getsockname (under a supervisor). The
 * variable's text is our own static buffer, put into environ once at load (putenv keeps
 * the pointer): a bind rewrites it in place, without setenv, which is neither
 * thread-safe nor async-signal-safe. */
#include "handed.h"

#include <stdlib.h>
#include <string.h>

#include "epr_env.h"
#include "state.h"

#define HANDED_ZERO 64 /* the newest port-0 ports passed on; every sentinel's is */

/* "EPR_BOUND=" then "P:S," items (S 0: a port-0 port); 12 bytes an item at most. */
static char text[sizeof(EPR_ENV_BOUND "=") + (EPR_MAX_SENTINELS + HANDED_ZERO) * 12];

static char *put_num(char *p, unsigned n)
{
	char tmp[6];
	int len = 0;

	do
		tmp[len++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	while (len)
		*p++ = tmp[--len];
	return p;
}

static char *put_item(char *p, unsigned port, unsigned sentinel)
{
	if (p[-1] != '=')
		*p++ = ',';
	p = put_num(p, port);
	*p++ = ':';
	return put_num(p, sentinel);
}

void handed_publish(void)
{
	const struct port_map *m = state_map();
	char next[sizeof(text)], *p = next + sizeof(EPR_ENV_BOUND "=") - 1;

	memcpy(next, EPR_ENV_BOUND "=", sizeof(EPR_ENV_BOUND "=") - 1);
	for (unsigned i = 0; i < EPR_MAX_SENTINELS && m->mapped[i].sentinel; i++)
		p = put_item(p, m->mapped[i].port, m->mapped[i].sentinel);
	for (unsigned i = 1; i <= HANDED_ZERO && i <= PORT_MAP_ZERO_SLOTS; i++) {
		uint16_t port = m->zero[(m->zero_next - i) % PORT_MAP_ZERO_SLOTS];
		if (port)
			p = put_item(p, port, 0);
	}
	*p = '\0';
	memcpy(text, next, (size_t)(p - next) + 1);
}

/* "P:S,..." from the image before; anything malformed ends the list. */
static void inherit(const char *v)
{
	struct port_map *m = state_map();

	while (v && *v) {
		char *end;
		unsigned long port = strtoul(v, &end, 10), sentinel;

		if (end == v || *end != ':' || port == 0 || port > 65535)
			return;
		v = end + 1;
		sentinel = strtoul(v, &end, 10);
		if (end == v || (*end != ',' && *end != '\0') || sentinel > 65535)
			return;
		if (sentinel)
			port_map_set_sentinel_port(m, (uint16_t)sentinel, (uint16_t)port);
		else
			port_map_remember_zero(m, (uint16_t)port);
		v = *end ? end + 1 : end;
	}
}

void handed_start(int same_launch)
{
	if (same_launch)
		inherit(getenv(EPR_ENV_BOUND));
	handed_publish();
	putenv(text);
}
