/* epr run: exec CMD with libepr.so preloaded, in this very process (no fork), as
 * proxychains4 and faketime do; CMD's exit status is then epr's. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(void)
{
	printf("Usage: epr run [-p S[=P]]... [-e ENVFILE] [--no-zero] [-v] -- CMD [ARG...]\n"
	       "Run CMD with libepr.so preloaded: its binds to a sentinel port S get a reserved\n"
	       "free port instead (or P), and its binds to port 0 get a reserved port.\n"
	       "\n"
	       "  -p, --port S[=P]     rewrite binds to port S (to P if given); repeatable,\n"
	       "                       or a comma-separated list (sets EPR_PORTS)\n"
	       "  -e, --env-file FILE  write the chosen ports to FILE (sets EPR_ENV_FILE)\n"
	       "      --no-zero        leave binds to port 0 alone (sets EPR_ZERO=0)\n"
	       "  -v, --verbose        log each rewrite on stderr (sets EPR_DEBUG=1)\n"
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
	char *shim, *path;
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
	shim = shim_path_find();
	path = command_path_resolve(argv[optind]);
	if (path)
		elf_check_warn(path, argv[optind]);
	free(path);
	launch_env_apply(&l, shim, true);
	free(shim);
	execvp(argv[optind], argv + optind);
	err = errno;
	cli_warn("%s: %s", argv[optind], strerror(err));
	return command_exec_status(err);
}
