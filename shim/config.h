/* The shim's configuration, read from the environment once per process. */
#ifndef EPR_CONFIG_H
#define EPR_CONFIG_H

#include <limits.h>

#include "policy.h"
#include "port_spec.h"

struct config {
	const char *error;        /* non-NULL: bad configuration; inet stream binds fail */
	int zero;                 /* rewrite binds to port 0 */
	int debug;                /* log each rewrite */
	struct port_specs specs;  /* the sentinels */
	char env_file[PATH_MAX];  /* absolute; "" when there is nothing to export */
	char supervisor[108];     /* the launch's supervisor socket (abstract name); "": none */
	struct policy policy;     /* specs, zero and error above, with the shim's lock and log */
};

/* The configuration, read on first use (from the constructor, or from a hook that runs
 * before it). A process whose EPR_ENV_FILE is not yet its tree's starts the file afresh. */
const struct config *config_get(void);

#endif
