/* The portserver's pool: ports held by TIME_WAIT renewals, handed out first in, first out. */
#include "port_pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hold.h"
#include "reserve.h"

/* More would be a leak, not a test farm: a port per client process that is still running. */
#define POOL_MAX_PORTS 8192

void pool_init(struct port_pool *p)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&p->addr;

	memset(p, 0, sizeof(*p));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->len = sizeof(*in);
}

static void set_state(struct pool_port *e, enum pool_state s)
{
	e->state = s;
	e->since = now_seconds();
}

static int oldest_free(const struct port_pool *p)
{
	int best = -1;

	for (int i = 0; i < p->n; i++)
		if (p->ports[i].state == POOL_FREE && (best < 0 || p->ports[i].since < p->ports[best].since))
			best = i;
	return best;
}

/* A new entry for a port reserved now; its index, or -errno. */
static int pool_grow(struct port_pool *p)
{
	int port;

	if (p->n == POOL_MAX_PORTS)
		return -EAGAIN;
	if (p->n == p->cap) {
		int cap = p->cap ? 2 * p->cap : 64;
		struct pool_port *more = realloc(p->ports, (size_t)cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		p->ports = more;
		p->cap = cap;
	}
	port = reserve_port((struct sockaddr *)&p->addr, p->len, 0);
	if (port < 0)
		return port;
	memset(&p->ports[p->n], 0, sizeof(p->ports[p->n]));
	p->ports[p->n].port = (uint16_t)port;
	p->ports[p->n].pidfd = -1;
	p->ports[p->n].renewed_at = now_seconds();
	return p->n++;
}

int pool_take(struct port_pool *p, pid_t pid, unsigned long long start, int pidfd)
{
	int i = oldest_free(p);
	struct pool_port *e;

	p->checked_last = 1;
	if (i < 0)
		i = pool_grow(p);
	if (i < 0)
		return i;
	e = &p->ports[i];
	e->pid = pid;
	e->start = start;
	e->pidfd = pidfd;
	set_state(e, POOL_ASSIGNED);
	p->allocations++;
	return i;
}

void pool_release(struct port_pool *p, int i)
{
	struct pool_port *e = &p->ports[i];

	if (e->state != POOL_ASSIGNED)
		return;
	if (e->pidfd >= 0)
		close(e->pidfd); /* which also takes it out of the server's epoll set */
	e->pidfd = -1;
	e->pid = 0;
	set_state(e, POOL_DRAINING);
}

static void renew_if_due(const struct port_pool *p, struct pool_port *e, bool in_use)
{
	struct sockaddr_in at;

	/* A port in use is held by its user's bind; a renewal would fail on a listener. */
	if (in_use || now_seconds() - e->renewed_at < HOLD_RENEW_SECONDS)
		return;
	memcpy(&at, &p->addr, sizeof(at));
	at.sin_port = htons(e->port);
	if (hold_renew((struct sockaddr *)&at, sizeof(at)) == 0)
		e->renewed_at = now_seconds();
}

void pool_tick(struct port_pool *p)
{
	static struct port_set used;
	bool seen = port_usage_scan(PORT_USAGE_ANY, &used) == 0;

	for (int i = 0; i < p->n; i++) {
		struct pool_port *e = &p->ports[i];
		/* without sock_diag, nothing is known in use: a renewal still fails on a listener */
		bool in_use = seen && port_set_has(&used, e->port);

		if (e->state == POOL_ASSIGNED && e->pidfd < 0 && !proc_running(e->pid, e->start))
			pool_release(p, i);
		if (e->state == POOL_DRAINING && seen && !in_use)
			set_state(e, POOL_FREE);
		else if (e->state == POOL_FREE && in_use) /* a stale client still uses it */
			set_state(e, POOL_DRAINING);
		renew_if_due(p, e, in_use);
	}
}

int pool_count(const struct port_pool *p, enum pool_state s)
{
	int n = 0;

	for (int i = 0; i < p->n; i++)
		n += p->ports[i].state == s;
	return n;
}
