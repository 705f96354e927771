/* The portserver's ports: each reserved with the TIME_WAIT trick and held (hold.h) for as
 * long as the server runs, whether a client has it or it waits in the pool. */
#ifndef EPR_PORT_POOL_H
#define EPR_PORT_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

enum pool_state {
	POOL_FREE,     /* in the pool, free on TCP and UDP at the last look */
	POOL_ASSIGNED, /* a client's, until its process exits */
	POOL_DRAINING, /* its client is gone; back in the pool once free on TCP and UDP */
};

struct pool_port {
	uint16_t port;
	enum pool_state state;
	pid_t pid;                 /* the client's, while assigned */
	unsigned long long start;  /* its start time: a reused pid has another */
	int pidfd;                 /* its pidfd, or -1 (no pidfds: its start time is checked) */
	double renewed_at;         /* the last TIME_WAIT made on it */
	double since;              /* when it entered its state: the pool is first in, first out */
};

struct port_pool {
	struct pool_port *ports;
	int n, cap;
	struct sockaddr_storage addr; /* where the ports are reserved: 127.0.0.1 */
	socklen_t len;
	/* portpicker's counts, and ours */
	unsigned long allocations, denied, request_errors, checked_last;
};

/* Starts an empty pool on 127.0.0.1. */
void pool_init(struct port_pool *p);
/* A port for pid, which started at start (pidfd: its pidfd or -1, now the pool's): a free
 * port of the pool, else a new reservation. The index of its entry, or -errno (-EAGAIN:
 * no port to give). */
int pool_take(struct port_pool *p, pid_t pid, unsigned long long start, int pidfd);
/* The client of entry i has exited: its port drains back into the pool. */
void pool_release(struct port_pool *p, int i);
/* What each tick does: one sock_diag look at the ports in use, renewals due, drained
 * ports back into the pool, and clients without a pidfd checked by start time. */
void pool_tick(struct port_pool *p);
/* How many entries are in state s. */
int pool_count(const struct port_pool *p, enum pool_state s);

#endif
