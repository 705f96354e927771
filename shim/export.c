/* listen() on a rewritten port: listen first, then record the port in EPR_ENV_FILE, so that
 * the file existing means "connectable now". */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "address.h"
#include "config.h"
#include "envfile.h"
#include "epr_env.h"
#include "log.h"
#include "launch_wire.h"
#include "rewrite.h"
#include "state.h"
#include "supervised.h"
#include "sys_socket.h"

struct export {
	uint16_t port, sentinel;
	const char *launch; /* this launch's id */
	int full;           /* set when the file already holds EPR_MAX_EXPORTS ports */
	int foreign;        /* set when the file is not an epr env file */
};

/* The launch's first export starts the file afresh; later ones, in any process of the
 * tree, merge into it. */
static int add_port(struct envfile *ef, void *arg)
{
	struct export *e = arg;
	int fresh = envfile_claim(ef, e->launch), added;

	if (fresh < 0) {
		e->foreign = errno == EEXIST;
		return -1;
	}
	added = envfile_add_port(ef, e->port, e->sentinel);
	if (added < 0)
		e->full = errno == ENOSPC;
	return added < 0 ? -1 : added || fresh ? 0 : 1;
}

static void log_export_failure(const char *path, int err, int foreign)
{
	struct logline l;

	log_start(&l, "error");
	log_str(&l, "cannot write ");
	log_str(&l, path);
	if (foreign)
		log_str(&l, ": it holds lines that are not EPR_ keys, so it is not an epr env "
			    "file and is left alone");
	else if (err == EPERM)
		log_str(&l, ": a file there (it or its .lock) belongs to another user");
	log_str(&l, ": ");
	log_errno(&l, err);
	log_end(&l);
}

/* Said once: a program that listens on port 0 again and again must not grow the file. */
static void log_full(const char *path)
{
	static int told;
	struct logline l;

	if (__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		return;
	log_start(&l, "warning");
	log_str(&l, path);
	log_str(&l, " holds ");
	log_num(&l, EPR_MAX_EXPORTS);
	log_str(&l, " ports: later ports are not recorded");
	log_end(&l);
}

/* Called with the state lock held. 0, or -1 with errno set. */
static int export_port(const char *path, struct export *e)
{
	e->full = e->foreign = 0;
	if (envfile_update(path, add_port, e) < 0) {
		if (!e->full)
			return -1;
		log_full(path); /* the listen itself succeeded: only the record is lost */
		return 0;
	}
	port_map_set_exported(state_map(), e->port);
	return 0;
}

/* The program must not keep a listener it believes failed. */
static int fail_listen(int fd, int err)
{
	shutdown(fd, SHUT_RD);
	errno = err;
	return -1;
}

/* Under a supervisor every inet listen is told, even in a program image that did not make
 * the bind (bind, exec, listen): the supervisor knows which ports the launch handed out. */
static int supervised_listen(int fd, int backlog, int saved)
{
	unsigned ignored;

	if (address_bound_port(fd) <= 0) {
		errno = saved;
		return sys_listen(fd, backlog);
	}
	if (sys_listen(fd, backlog) < 0)
		return -1;
	if (supervised_call(LAUNCH_LISTEN, fd, NULL, 0, &ignored) < 0)
		return fail_listen(fd, errno);
	errno = saved;
	return 0;
}

/* Records e in the env file unless this process did already; on failure the socket stops
 * receiving and the call fails with the errno. saved is the errno to restore on success. */
static int export_once(int fd, const struct config *c, struct export *e, int saved)
{
	int rc;

	state_lock();
	rc = port_map_exported(state_map(), e->port) ? 0 : export_port(c->env_file, e);
	state_unlock();
	if (rc < 0) {
		int err = errno;
		log_export_failure(c->env_file, err, e->foreign);
		return fail_listen(fd, err);
	}
	errno = saved;
	return 0;
}

int export_bound(int fd, uint16_t port, uint16_t sentinel)
{
	const struct config *c = config_get();
	struct export e = { .port = port, .sentinel = sentinel, .launch = c->tree_id };

	return export_once(fd, c, &e, errno);
}

int export_listen(int fd, int backlog)
{
	const struct config *c = config_get();
	struct port_map *map = state_map();
	struct export e;
	int saved = errno, port, found;

	if (c->client) /* a client of a launch (epr exec) listens as it would without epr */
		return sys_listen(fd, backlog);
	if (c->supervisor[0])
		return supervised_listen(fd, backlog, saved);
	if (!port_map_any_rewrite(map))
		return sys_listen(fd, backlog);
	port = address_bound_port(fd);
	errno = saved;
	if (port <= 0)
		return sys_listen(fd, backlog);
	state_lock();
	found = port_map_find(map, (uint16_t)port, &e.sentinel) &&
		!port_map_exported(map, (uint16_t)port);
	state_unlock();
	if (!found || c->env_file[0] == '\0')
		return sys_listen(fd, backlog);

	if (sys_listen(fd, backlog) < 0)
		return -1;
	e.port = (uint16_t)port;
	e.launch = c->tree_id;
	return export_once(fd, c, &e, saved);
}
