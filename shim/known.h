/* The launch's ports this process knows for its sentinels: handed to its binds, or learned
 * by a connect. The supervisor never changes a sentinel's port once given, so an answer is
 * kept for the life of the process (and its forks). Lock-free: read inside any hook. */
#ifndef EPR_KNOWN_H
#define EPR_KNOWN_H

#include <stdint.h>

/* The port known for sentinel, or 0. */
uint16_t known_port(uint16_t sentinel);
void known_set(uint16_t sentinel, uint16_t port);
/* At load, before config_get() returns: the sentinel ports of m, inherited across execve()
 * (EPR_BOUND). */
struct port_map;
struct port_specs;
void known_inherit(const struct port_specs *specs, const struct port_map *m);
/* Whether any port is known yet: one load. */
int known_any(void);
/* The sentinel whose known port is port, or 0. One load when nothing is known. */
uint16_t known_sentinel(uint16_t port);

#endif
