/* The names shared by libepr.so and the epr command, defined once so the two cannot drift. */
#ifndef EPR_ENV_H
#define EPR_ENV_H

/* Variables the user sets (documented in libepr(7)). */
#define EPR_ENV_PORTS    "EPR_PORTS"    /* sentinel ports: S[=P][,S[=P]...] */
#define EPR_ENV_ENV_FILE "EPR_ENV_FILE" /* where the chosen ports are exported */
#define EPR_ENV_ZERO     "EPR_ZERO"     /* "0" turns off the rewriting of port 0 */
#define EPR_ENV_DEBUG    "EPR_DEBUG"    /* "1" logs each rewrite on stderr */
/* "1": inside a launch, getsockname()/getpeername() say the real port, not the sentinel
 * (epr run/start --real-ports) */
#define EPR_ENV_REAL_PORTS "EPR_REAL_PORTS"
/* seconds a shimmed call waits for its launch's supervisor before it fails closed */
#define EPR_ENV_CALL_WAIT "EPR_CALL_WAIT"
#define EPR_CALL_WAIT_DEFAULT 10
#define EPR_CALL_WAIT_MAX 3600
#define EPR_ENV_LIB      "EPR_LIB"      /* epr: the libepr.so to preload */
#define EPR_ENV_RUNTIME_DIR "EPR_RUNTIME_DIR" /* epr: where it keeps its list of launches */
/* portpicker's: the portserver that epr reserve and epr_portserver_request() ask */
#define EPR_ENV_PORTSERVER "PORTSERVER_ADDRESS"
#define EPR_ENV_CGROUP   "EPR_CGROUP"   /* epr: "off" keeps launches out of cgroups */

/* Internal: "<launch id>:<absolute env-file path>", set by the first shimmed process of a
 * launch. A process that finds its own EPR_ENV_FILE there belongs to that launch. */
#define EPR_ENV_TREE     "EPR_TREE"

/* Internal: set by epr run/start for the shim. The abstract unix socket name of the
 * launch's supervisor, which then owns the port map and the env file. */
#define EPR_ENV_SUPERVISOR "EPR_SUPERVISOR_SOCKET"

/* Internal: the ports a process of the bare shim was handed, "P:S,..." (S 0 for port 0),
 * kept by the shim for the next program image: bind, execve, listen is still exported. */
#define EPR_ENV_BOUND "EPR_BOUND"
#define EPR_SUPERVISOR_NAME_MAX 100

/* Internal: "1", set by epr exec: the process is a client of the launch: its connects are
 * redirected, its binds and listens are its own (not sent to the supervisor). */
#define EPR_ENV_CLIENT "EPR_CLIENT"

/* Keys written into the env file. Readers ignore keys they do not know. */
#define EPR_KEY_PORT        "EPR_PORT"    /* the first exported port */
#define EPR_KEY_PORT_PREFIX "EPR_PORT_"   /* EPR_PORT_<sentinel>=<port> */
#define EPR_KEY_PORT_LIST   "EPR_PORT_LIST" /* every exported port, in listen order */
#define EPR_KEY_FILE        "EPR_FILE"    /* epr start's output: the env file's path */
#define EPR_KEY_LAUNCH      "EPR_LAUNCH"  /* the launch that wrote the file (its id) */
#define EPR_KEY_PID         "EPR_PID"     /* added by epr start */
#define EPR_KEY_PID_START   "EPR_PID_START" /* added by epr start: its start time, in ticks */
#define EPR_KEY_LOG         "EPR_LOG"     /* added by epr start */
#define EPR_KEY_TMPDIR      "EPR_TMPDIR"  /* added by epr start: its private directory */
#define EPR_KEY_SUPERVISOR_PID   "EPR_SUPERVISOR_PID"   /* the launch's supervisor */
#define EPR_KEY_SUPERVISOR_START "EPR_SUPERVISOR_START" /* its start time, in ticks */

#define EPR_MAX_SENTINELS 64   /* items in EPR_PORTS */
#define EPR_MAX_EXPORTS   256  /* ports in one env file; more are not recorded */

#endif
