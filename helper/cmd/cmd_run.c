/* epr run: run CMD with libepr.so preloaded, as a supervised launch in the foreground:
 * epr stays as CMD's supervisor until the last process of its tree is gone, and exits
 * with CMD's status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "epr_env.h"
#include "launch.h"

static void usage(void)
{
	printf("Usage: epr run [-p S[=P]]... [-e ENVFILE] [--no-zero] [--real-ports] [-v]\n"
	       "               [--via preload|seccomp|auto] -- CMD [ARG...]\n"
	       "Run CMD as a supervised launch in the foreground: its binds to a sentinel port S\n"
	       "get a reserved free port instead (or P), and its binds to port 0 a reserved\n"
	       "port. epr exits once CMD's whole process tree is gone.\n"
	       "\n"
	       "  -p, --port S[=P]     rewrite binds to port S (to P if given); repeatable,\n"
	       "                       or a comma-separated list (sets EPR_PORTS)\n"
	       "  -e, --env-file FILE  write the chosen ports to FILE (sets EPR_ENV_FILE)\n"
	       "      --no-zero        leave binds to port 0 alone (sets EPR_ZERO=0)\n"
	       "      --real-ports     getsockname() and getpeername() say the real port, not\n"
	       "                       the sentinel (sets EPR_REAL_PORTS=1)\n"
	       "  -v, --verbose        log each rewrite on stderr (sets EPR_DEBUG=1)\n"
	       "      --via HOW        preload (the shim), seccomp (user notification), or auto:\n"
	       "                       seccomp for static and Go programs (the default)\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Without -p or -e, the EPR_PORTS and EPR_ENV_FILE of the environment are kept.\n"
	       "The exit status is CMD's; 127 if CMD is not found, 126 if it cannot run.\n");
}

int cmd_run(int argc, char *argv[])
{
	static const struct option options[] = {
		LAUNCH_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct launch l;
	static struct launch_state s;
	const char *inherited;
	char *shim;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "+:p:e:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage();
			cli_flush_stdout();
			return EXIT_SUCCESS;
		default:
			if (!launch_option(&l, opt, optarg))
				cli_bad_option(argv, opt);
		}
	}
	if (optind >= argc)
		cli_usage_error("no CMD to run");
	/* Without -p or -e, what the environment says, as the bare shim would read it. */
	inherited = getenv(EPR_ENV_PORTS);
	if (!l.specs.n && inherited && *inherited) {
		char why[160];

		if (port_specs_parse(&l.specs, inherited, why, sizeof why) != 0)
			cli_usage_error("%s: %s", EPR_ENV_PORTS, why);
	}
	inherited = getenv(EPR_ENV_ENV_FILE);
	if (!l.env_file && inherited && *inherited)
		l.env_file = launch_absolute_path(inherited);
	/* Only a safe path; whether the file may be replaced is decided at the first export,
	 * so that a command that never listens leaves any file alone. */
	if (l.env_file)
		launch_check_value("the env file", l.env_file);
	s.options = &l;
	s.foreground = true;
	s.ready_fd = -1;
	s.owner_fd = -1;
	s.name = argv[optind];
	s.argv = argv + optind;
	err = launch_resolve(&s, &shim);
	if (err)
		return err;
	/* Before CMD is forked: an unusable registry, or an env file a live launch holds,
	 * leaves nothing started. */
	registry_check(l.verbose);
	if (l.env_file)
		registry_claim(l.env_file);
	launch_env_apply(&l, shim, true);
	free(shim);
	return supervisor_run(&s);
}
