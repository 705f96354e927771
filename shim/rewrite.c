/* The hooked bind(): the common policy, applied here (the bare shim) or by the launch's
 * supervisor (under epr run/start), which then holds the one port map of the launch. */
#include "rewrite.h"

#include <errno.h>

#include "address.h"
#include "config.h"
#include "handed.h"
#include "known.h"
#include "launch_wire.h"
#include "log.h"
#include "policy.h"
#include "state.h"
#include "supervised.h"
#include "sys_socket.h"

static void log_debug(const struct sockaddr *asked, unsigned port)
{
	struct logline l;

	log_start(&l, NULL);
	log_str(&l, "bind ");
	log_addr(&l, asked);
	log_str(&l, " -> ");
	log_num(&l, port);
	log_end(&l);
}

static void remember_zero(unsigned port)
{
	state_lock();
	port_map_remember_zero(state_map(), (uint16_t)port);
	state_unlock();
}

/* A sentinel's port from the supervisor: getsockname says the sentinel, in this image and,
 * through EPR_BOUND, in the next one. */
static void remember_sentinel(uint16_t sentinel, unsigned port)
{
	known_set(sentinel, (uint16_t)port);
	state_lock();
	port_map_set_sentinel_port(state_map(), sentinel, (uint16_t)port);
	handed_publish();
	state_unlock();
}

int rewrite_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct config *c = config_get();
	unsigned port = 0;
	int rc;

	/* a client of a launch (epr exec) binds as it would without epr */
	if (c->client || !policy_candidate_in(&c->policy, state_map(), addr, len))
		return sys_bind(fd, addr, len);
	if (c->supervisor[0] && !c->error && policy_candidate(&c->policy, addr, len)) {
		int asked = address_port(addr, len);

		rc = supervised_call(LAUNCH_BIND, fd, addr, len, &port);
		if (rc == 0 && c->debug)
			log_debug(addr, port);
		if (rc == 0 && asked == 0)
			remember_zero(port); /* so that bind 0, close, bind that port works here too */
		else if (rc == 0)
			remember_sentinel((uint16_t)asked, port);
	} else {
		struct policy_result res;

		rc = policy_bind_result(&c->policy, state_map(), fd, addr, len, &res);
		if (rc == 0 && c->env_file[0]) {
			state_lock();
			handed_publish(); /* for the next image, should this one exec before listen */
			state_unlock();
			/* UDP never listens: a sentinel's UDP socket receives, so export it now */
			if (res.export_now)
				rc = export_bound(fd, (uint16_t)res.port, res.sentinel);
		}
	}
	return rc == POLICY_PASS ? sys_bind(fd, addr, len) : rc;
}
