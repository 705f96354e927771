/* The shim's configuration, read from the environment once per process. */
#ifndef EPR_CONFIG_H
#define EPR_CONFIG_H

#include <limits.h>

#define TREE_ID_LEN 16 /* hex digits of the launch id in EPR_TREE and EPR_LAUNCH */

#include "policy.h"
#include "port_spec.h"

struct config {
	const char *error;        /* non-NULL: bad configuration; inet stream binds fail */
	int zero;                 /* rewrite binds to port 0 */
	int debug;                /* log each rewrite */
	int call_wait;            /* seconds a call to the supervisor may take in all */
	int client;               /* EPR_CLIENT: binds and listens pass, connects are redirected */
	int mask;                 /* under a supervisor, without EPR_REAL_PORTS: mask.c's work */
	struct port_specs specs;  /* the sentinels */
	char env_file[PATH_MAX];  /* absolute; "" when there is nothing to export */
	char tree_id[TREE_ID_LEN + 1]; /* the launch (process tree) this process belongs to */
	char supervisor[108];     /* the launch's supervisor socket (abstract name); "": none */
	struct policy policy;     /* specs, zero and error above, with the shim's lock and log */
};

/* The configuration, read on first use (from the constructor, or from a hook that runs
 * before it). A process whose EPR_ENV_FILE is not yet its tree's starts a new launch: it
 * sets EPR_TREE for its descendants, and touches no file. */
const struct config *config_get(void);

#endif
