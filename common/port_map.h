/* The ports one launch (or one process, under the bare shim) has handed out: the port each
 * sentinel was given, the ports given for port 0, and which of them are exported. Fixed
 * tables, no locking: the owner serializes (the shim with its mutex, the supervisor by
 * being single-threaded). */
#ifndef EPR_PORT_MAP_H
#define EPR_PORT_MAP_H

#include <stdint.h>

#include "epr_env.h"

#define PORT_MAP_ZERO_SLOTS 128 /* the newest port-0 ports, passed on across execve() */

struct port_map {
	struct {
		uint16_t sentinel, port;
	} mapped[EPR_MAX_SENTINELS];
	uint16_t zero[PORT_MAP_ZERO_SLOTS]; /* a ring: the newest first at zero_next - 1 */
	unsigned zero_next;
	/* every port handed out for port 0, as bits, never forgotten: a socket bound long ago
	 * still exports when it listens after many later port-0 binds, and one load answers
	 * "was this port handed out for 0?" on every bind that names a port (a list scan cost
	 * pass-through binds 7%: bench/) */
	uint64_t zero_bits[65536 / 64];
	uint16_t exported[EPR_MAX_EXPORTS];
	unsigned exported_next;
	int rewritten; /* set once any bind was rewritten; read without a lock by listen's fast path */
};

uint16_t port_map_sentinel_port(const struct port_map *m, uint16_t sentinel);
void port_map_set_sentinel_port(struct port_map *m, uint16_t sentinel, uint16_t port);
void port_map_remember_zero(struct port_map *m, uint16_t port);
/* Whether port was ever handed out for port 0. Safe without the lock: bind's path asks it
 * for binds that name a port. */
int port_map_zero_port(const struct port_map *m, uint16_t port);
/* Whether port was handed out, and for which sentinel (0: a port-0 bind). */
int port_map_find(const struct port_map *m, uint16_t port, uint16_t *sentinel);
int port_map_exported(const struct port_map *m, uint16_t port);
void port_map_set_exported(struct port_map *m, uint16_t port);
void port_map_clear_exported(struct port_map *m, uint16_t port);
int port_map_any_rewrite(const struct port_map *m);

#endif
