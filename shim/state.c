/* The per-process port state: the map, its mutex and the fork handlers that keep the
 * mutex usable in a child. */
#include "state.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct port_map map;

static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

void state_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

static void take_lock(void)
{
	pthread_mutex_lock(&lock);
}

/* The forking thread takes the lock before fork(), so the child never inherits it held by
 * a thread that does not exist there; both sides then release it. */
static void register_fork_handlers(void)
{
	pthread_atfork(take_lock, state_unlock, state_unlock);
}

/* The handlers are registered on first use, not at load: pthread_atfork() faults in a
 * part of libc that a program which never binds would not touch (+10% peak RSS). That is
 * still in time: glibc holds its atfork lock across a fork, so a registration racing a
 * fork completes either before it (and its handlers run) or after it. */
void state_lock(void)
{
	pthread_once(&fork_handlers_once, register_fork_handlers);
	take_lock();
}

struct port_map *state_map(void)
{
	return &map;
}
