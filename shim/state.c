/* The per-process port state. Fixed-size tables: a program that binds port 0 forever
 * (FTP passive mode) recycles the oldest slots instead of growing. */
#include "state.h"

#include <pthread.h>

#include "epr_env.h"

#define ZERO_SLOTS 128 /* port-0 binds awaiting their listen(); the oldest is forgotten */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint16_t sentinel, port;
} mapped[EPR_MAX_SENTINELS];
static uint16_t zero_ports[ZERO_SLOTS];
static unsigned zero_next;
static uint16_t exported[EPR_MAX_EXPORTS];
static unsigned exported_next;
static int rewritten;

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

uint16_t state_sentinel_port(uint16_t sentinel)
{
	for (unsigned i = 0; i < EPR_MAX_SENTINELS && mapped[i].sentinel; i++)
		if (mapped[i].sentinel == sentinel)
			return mapped[i].port;
	return 0;
}

void state_set_sentinel_port(uint16_t sentinel, uint16_t port)
{
	for (unsigned i = 0; i < EPR_MAX_SENTINELS; i++) {
		if (mapped[i].sentinel == 0 || mapped[i].sentinel == sentinel) {
			mapped[i].sentinel = sentinel;
			mapped[i].port = port;
			break;
		}
	}
	__atomic_store_n(&rewritten, 1, __ATOMIC_RELEASE);
}

void state_remember_zero(uint16_t port)
{
	zero_ports[zero_next++ % ZERO_SLOTS] = port;
	__atomic_store_n(&rewritten, 1, __ATOMIC_RELEASE);
}

int state_find_port(uint16_t port, uint16_t *sentinel)
{
	for (unsigned i = 0; i < EPR_MAX_SENTINELS && mapped[i].sentinel; i++) {
		if (mapped[i].port == port) {
			*sentinel = mapped[i].sentinel;
			return 1;
		}
	}
	for (unsigned i = 0; i < ZERO_SLOTS; i++) {
		if (zero_ports[i] == port) {
			*sentinel = 0;
			return 1;
		}
	}
	return 0;
}

int state_exported(uint16_t port)
{
	for (unsigned i = 0; i < EPR_MAX_EXPORTS; i++)
		if (exported[i] == port)
			return 1;
	return 0;
}

void state_set_exported(uint16_t port)
{
	exported[exported_next++ % EPR_MAX_EXPORTS] = port;
}

int state_any_rewrite(void)
{
	return __atomic_load_n(&rewritten, __ATOMIC_ACQUIRE);
}
