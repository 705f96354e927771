/* This process's port map and the one mutex that guards it; fork() is safe. */
#ifndef EPR_STATE_H
#define EPR_STATE_H

#include "port_map.h"

/* The first call also registers the fork handlers. */
void state_lock(void);
void state_unlock(void);

/* The map; touch it with the lock held, but for port_map_any_rewrite(). */
struct port_map *state_map(void);

#endif
