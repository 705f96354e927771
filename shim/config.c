/* Reads EPR_PORTS, EPR_ZERO, EPR_DEBUG, EPR_ENV_FILE, EPR_SUPERVISOR_SOCKET, EPR_CLIENT and
 * EPR_REAL_PORTS once, at load time, while the host is still single-threaded; the hooks
 * then only read the result. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "epr_env.h"
#include "handed.h"
#include "known.h"
#include "log.h"
#include "state.h"

static struct config config;
static char error_text[200];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void set_error(const char *fmt, const char *name, const char *detail)
{
	if (config.error) /* the first error is the one to fix first */
		return;
	snprintf(error_text, sizeof(error_text), fmt, name, detail);
	config.error = error_text;
}

/* "0"/"1" or unset; anything else is an error, not a guess. */
static int parse_flag(const char *name, int unset)
{
	const char *value = getenv(name);

	if (value == NULL || *value == '\0')
		return unset;
	if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)
		return *value == '1';
	set_error("%s: '%.40s' is not 0 or 1", name, value);
	return unset;
}

/* Whole seconds, 1 to EPR_CALL_WAIT_MAX, or unset; anything else is an error, not a guess. */
static int parse_seconds(const char *name, int unset)
{
	const char *value = getenv(name);
	long seconds = 0;
	const char *p;

	if (value == NULL || *value == '\0')
		return unset;
	for (p = value; *p >= '0' && *p <= '9' && seconds <= EPR_CALL_WAIT_MAX; p++)
		seconds = seconds * 10 + (*p - '0');
	if (*p == '\0' && seconds >= 1 && seconds <= EPR_CALL_WAIT_MAX)
		return (int)seconds;
	set_error("%s: '%.40s' is not a number of seconds from 1 to 3600", name, value);
	return unset;
}

/* Servers chdir before they bind (redis-server --dir): anchor a relative path now. */
static void absolute_env_file(const char *path)
{
	size_t len;

	if (path[0] == '/') {
		if (strlen(path) >= sizeof(config.env_file))
			set_error("%s: '%.40s...' is too long", EPR_ENV_ENV_FILE, path);
		else
			strcpy(config.env_file, path);
		return;
	}
	if (getcwd(config.env_file, sizeof(config.env_file)) == NULL) {
		config.env_file[0] = '\0';
		set_error("%s: '%.40s' is relative and the current directory is unknown",
			  EPR_ENV_ENV_FILE, path);
		return;
	}
	len = strlen(config.env_file);
	if (len + 1 + strlen(path) >= sizeof(config.env_file)) {
		config.env_file[0] = '\0';
		set_error("%s: '%.40s...' is too long", EPR_ENV_ENV_FILE, path);
		return;
	}
	snprintf(config.env_file + len, sizeof(config.env_file) - len, "%s%s",
		 len > 1 ? "/" : "", path);
}

/* EPR_TREE is "<launch id>:<env file>". A process that finds its own env file there belongs
 * to that launch; any other is the first of a new launch and makes up an id. Only the
 * environment is touched: the file is started afresh by the launch's first export. */
static void join_tree(void)
{
	static char tree[TREE_ID_LEN + 1 + PATH_MAX];
	const char *inherited = getenv(EPR_ENV_TREE);
	unsigned char raw[TREE_ID_LEN / 2];

	if (inherited && strlen(inherited) > TREE_ID_LEN && inherited[TREE_ID_LEN] == ':' &&
	    strspn(inherited, "0123456789abcdef") == TREE_ID_LEN &&
	    strcmp(inherited + TREE_ID_LEN + 1, config.env_file) == 0) {
		memcpy(config.tree_id, inherited, TREE_ID_LEN);
		handed_start(1);
		return;
	}
	if (getrandom(raw, sizeof(raw), GRND_NONBLOCK) != (ssize_t)sizeof(raw)) {
		struct timespec ts;
		unsigned long mix;

		clock_gettime(CLOCK_REALTIME, &ts);
		mix = (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20) ^ (unsigned long)getpid() << 40;
		memcpy(raw, &mix, sizeof(raw) < sizeof(mix) ? sizeof(raw) : sizeof(mix));
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		config.tree_id[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		config.tree_id[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	/* no snprintf: its first use faulted in ~240 KiB more peak RSS (bench/spawn) */
	memcpy(tree, config.tree_id, TREE_ID_LEN);
	tree[TREE_ID_LEN] = ':';
	memcpy(tree + TREE_ID_LEN + 1, config.env_file, strlen(config.env_file) + 1);
	setenv(EPR_ENV_TREE, tree, 1);
	setenv(EPR_ENV_ENV_FILE, config.env_file, 1);
	handed_start(0);
}

/* The policy's notes as libepr: lines; a bad configuration is said once. */
static void note(const struct policy_note *n)
{
	static int told;
	struct logline l;

	if (n->event == POLICY_UDP_BOUND) /* rewrite.c exports it */
		return;
	if (n->event == POLICY_REWRITTEN || n->event == POLICY_RETRY) {
		if (!config.debug)
			return;
		log_start(&l, NULL);
		log_str(&l, "bind ");
		log_addr(&l, (const struct sockaddr *)&n->asked->sa);
		log_str(&l, n->event == POLICY_REWRITTEN ? " -> " : ": port ");
		log_num(&l, n->port);
		if (n->event == POLICY_RETRY)
			log_str(&l, " was taken first; reserving another");
		log_end(&l);
		return;
	}
	if (n->event == POLICY_BAD_CONFIG && __atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		return;
	log_start(&l, "error");
	if (n->event == POLICY_BAD_CONFIG) {
		log_str(&l, n->what);
		log_str(&l, "; refusing every TCP bind");
	} else {
		log_str(&l, "bind ");
		log_addr(&l, (const struct sockaddr *)&n->asked->sa);
		log_str(&l, ": ");
		log_str(&l, n->what);
		log_str(&l, ": ");
		log_errno(&l, n->err);
	}
	log_end(&l);
}

static void supervisor_name(const char *name)
{
	if (strlen(name) > EPR_SUPERVISOR_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(name))
		set_error("%s: '%.40s' is not a supervisor name", EPR_ENV_SUPERVISOR, name);
	else
		strcpy(config.supervisor, name);
}

static void config_load(void)
{
	const char *supervisor = getenv(EPR_ENV_SUPERVISOR);
	const char *ports = getenv(EPR_ENV_PORTS);
	const char *env_file = getenv(EPR_ENV_ENV_FILE);
	char why[160];

	config.zero = parse_flag(EPR_ENV_ZERO, 1);
	config.debug = parse_flag(EPR_ENV_DEBUG, 0);
	config.call_wait = parse_seconds(EPR_ENV_CALL_WAIT, EPR_CALL_WAIT_DEFAULT);
	if (ports && port_specs_parse(&config.specs, ports, why, sizeof(why)) < 0)
		set_error("%s: %s", EPR_ENV_PORTS, why);
	if (supervisor && *supervisor) {
		supervisor_name(supervisor);
		/* a launch's client and its masking need the launch, which only a supervisor has */
		config.client = parse_flag(EPR_ENV_CLIENT, 0);
		config.mask = !parse_flag(EPR_ENV_REAL_PORTS, 0);
	} else if (env_file && *env_file)
		absolute_env_file(env_file);
	if (config.env_file[0] && config.error == NULL) {
		join_tree();
	} else if (config.supervisor[0] && !config.client && config.error == NULL) {
		/* The ports an earlier image of this process was given, so that its getsockname
		 * still says the sentinel (bind, execve, listen). epr run and start remove
		 * EPR_BOUND: what is there is this launch's. */
		handed_start(1);
		known_inherit(&config.specs, state_map());
	}
	config.policy = (struct policy){
		.specs = &config.specs,
		.zero = config.zero,
		.error = config.error,
		.lock = state_lock,
		.unlock = state_unlock,
		.note = note,
	};
}

const struct config *config_get(void)
{
	pthread_once(&once, config_load);
	return &config;
}

__attribute__((constructor)) static void config_at_load(void)
{
	config_get();
}
