/* epr stop: stop a launch of epr start (or epr run), given its env file or a pid it printed,
 * or every launch of the caller's (--all): its supervisor stops the whole tree and removes
 * what start made. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"
#include "launch.h"
#include "launch_arg.h"

#define DEFAULT_GRACE 10.0

static void usage(void)
{
	printf("Usage: epr stop [-t SECONDS] ENVFILE|PID\n"
	       "       epr stop --all [--owner PID] [-t SECONDS]\n"
	       "Stop a launch of epr start (or epr run), named by its env file or by the\n"
	       "EPR_PID or EPR_SUPERVISOR_PID it printed: SIGTERM to its whole process tree,\n"
	       "SIGKILL after SECONDS (default 10) to what is left; then remove what epr start\n"
	       "made. Only the caller's own launches are stopped.\n"
	       "\n"
	       "  --all                every launch of the caller's that epr list shows, all at\n"
	       "                       once; what is left of launches already gone is removed\n"
	       "  --owner PID          with --all: only the launches started with --owner PID\n"
	       "  -t, --timeout SECS   the grace period before SIGKILL\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 0 once the tree is gone, also when it was already gone (a note\n"
	       "says so) or, with --all, when there was none; 1 for a pid or file that names\n"
	       "no launch of the caller's, or a tree that would not die (with --all: any one,\n"
	       "each named); 2 for bad usage.\n");
}

/* "the launch of ENVFILE", or of its pid when it has no env file (epr run without -e). */
static const char *launch_name(const struct launch_entry *e)
{
	static char name[4200];

	if (e->env_file[0])
		snprintf(name, sizeof name, "the launch of %s", e->env_file);
	else
		snprintf(name, sizeof name, "the launch of pid %d", (int)e->main);
	return name;
}

static void note_orphans(const struct launch_stop *s, const char *which)
{
	cli_warn("note: the supervisor of %s is gone; stopping the %zu process%s it left", which,
		 s->n_orphans, s->n_orphans == 1 ? "" : "es");
}

/* After the wait: says what did not stop (naming it as which), and removes what a killed
 * supervisor left. 0, or -1 when something did not stop or could not be removed. */
static int finish_stop(const struct launch_stop *s, const char *which)
{
	const struct launch_entry *e = s->entry;

	if (s->error == EPERM) {
		cli_warn("%s is not yours to stop: it runs as another user (%s)", which,
			 strerror(s->error));
		return -1;
	}
	if (s->error == ETIMEDOUT) {
		cli_warn("the supervisor %d of %s did not finish within %.3g s", (int)e->supervisor,
			 which, s->waited);
		return -1;
	}
	if (s->error) {
		cli_warn("the supervisor %d of %s did not finish: %s", (int)e->supervisor, which,
			 strerror(s->error));
		return -1;
	}
	if (s->survivors) {
		cli_warn("some process of %s is still running after SIGKILL", which);
		return -1;
	}
	if (!s->n_orphans) {
		/* The supervisor is gone. A stop it heard removed its files and then its entry;
		 * but a tree that ended on its own just before the SIGTERM came ends the
		 * supervisor with both kept for a later stop: this one. The entry as it is now
		 * says what is left (and it is not a later launch's with the same pid). */
		static struct launch_entry now;

		if (!registry_lists(e, &now))
			return 0;
		e = &now;
	}
	if (launch_clean_up(e) != 0) {
		cli_warn("removing %s: %s", e->tmpdir, strerror(errno));
		return -1;
	}
	return 0;
}

/* epr stop --all: every launch of the caller's (of owner's, unless 0). Every stop is asked
 * for before any is waited for. */
static int stop_all(pid_t owner, double grace)
{
	size_t n, m = 0;
	struct launch_entry *all = registry_all(&n);
	struct launch_stop *stops = calloc(n + 1, sizeof *stops);
	int rc = EXIT_SUCCESS;

	if (!stops)
		cli_fail("stopping every launch: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		enum entry_state state = registry_state(&all[i]);

		if ((owner && all[i].owner != owner) || state == ENTRY_FOREIGN)
			continue;
		if (state != ENTRY_OVER && launch_stop_begin(&stops[m], &all[i], grace)) {
			if (stops[m].n_orphans && stops[m].error != EPERM)
				note_orphans(&stops[m], launch_name(&all[i]));
			m++;
		} else if (launch_clean_up(&all[i]) != 0) { /* quietly: nothing of it ran */
			cli_warn("removing %s: %s", all[i].tmpdir, strerror(errno));
			rc = EXIT_FAILURE;
		}
	}
	launch_stop_wait(stops, m, grace);
	for (size_t i = 0; i < m; i++)
		if (finish_stop(&stops[i], launch_name(stops[i].entry)) != 0)
			rc = EXIT_FAILURE;
	free(stops);
	free(all);
	return rc;
}

/* A pid for --owner, or exits 2. */
static pid_t owner_pid(const char *text)
{
	pid_t pid = cli_pid(text);

	if (!pid)
		cli_usage_error("--owner: '%s' is not a process id", text);
	return pid;
}

int cmd_stop(int argc, char *argv[])
{
	enum { OPT_ALL = 256, OPT_OWNER };
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct envfile ef;
	static struct launch_entry e;
	static struct launch_stop stop;
	double grace = DEFAULT_GRACE;
	bool all = false;
	pid_t owner = 0;
	const char *target;
	int opt;

	while ((opt = getopt_long(argc, argv, "+:t:h", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			grace = cli_seconds("-t", optarg);
			break;
		case OPT_ALL:
			all = true;
			break;
		case OPT_OWNER:
			owner = owner_pid(optarg);
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			return EXIT_SUCCESS;
		default:
			cli_bad_option(argv, opt);
		}
	}
	if (owner && !all)
		cli_usage_error("--owner narrows --all, which was not given");
	if (all && optind < argc)
		cli_usage_error("--all stops every launch: '%s' cannot be given with it", argv[optind]);
	if (all)
		return stop_all(owner, grace);
	if (optind >= argc)
		cli_usage_error("no ENVFILE or PID to stop");
	if (argc - optind > 1)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	target = argv[optind];
	if (!*target)
		cli_usage_error("'' is neither an env file nor a process id");

	if (launch_arg_is_pid(target))
		launch_arg_pid(target, &ef, &e);
	else if (!launch_arg_file(target, &ef, &e)) {
		cli_warn("note: %s is gone: its launch is already stopped", target);
		return EXIT_SUCCESS;
	}
	if (registry_state(&e) == ENTRY_FOREIGN)
		cli_fail("%s is not yours to stop: it runs as another user (%s)", target,
			 strerror(EPERM));
	if (!launch_stop_begin(&stop, &e, grace)) {
		cli_warn("note: the launch of %s is already gone", target);
		if (launch_clean_up(&e) != 0)
			cli_fail("removing %s: %s", e.tmpdir, strerror(errno));
		return EXIT_SUCCESS;
	}
	if (stop.n_orphans && stop.error != EPERM)
		note_orphans(&stop, "this launch");
	launch_stop_wait(&stop, 1, grace);
	return finish_stop(&stop, target) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
