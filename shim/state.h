/* What this process has done: the port each sentinel was given, the ports handed out for
 * port 0, and the ports already exported. One mutex guards it all; fork() is safe. */
#ifndef EPR_STATE_H
#define EPR_STATE_H

#include <stdint.h>

/* The first call also registers the fork handlers. */
void state_lock(void);
void state_unlock(void);

/* With the lock held. */
uint16_t state_sentinel_port(uint16_t sentinel);
void state_set_sentinel_port(uint16_t sentinel, uint16_t port);
void state_remember_zero(uint16_t port);
/* Whether port was handed out by a rewrite, and for which sentinel (0: a port-0 bind). */
int state_find_port(uint16_t port, uint16_t *sentinel);
int state_exported(uint16_t port);
void state_set_exported(uint16_t port);

/* Whether any bind has been rewritten yet; no lock needed: listen()'s fast path. */
int state_any_rewrite(void);

#endif
