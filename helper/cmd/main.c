/* epr: dispatch to a subcommand; under the name ephemeral-port-reserve, behave as
 * "epr reserve" so that the classic tool's callers need no change. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char *argv[]);
};

static const struct subcommand subcommands[] = {
	{ "exec", cmd_exec },
	{ "list", cmd_list },
	{ "portserver", cmd_portserver },
	{ "reserve", cmd_reserve },
	{ "run", cmd_run },
	{ "start", cmd_start },
	{ "stop", cmd_stop },
};

static void usage(FILE *out)
{
	fputs("Usage: epr COMMAND [ARG...]\n"
	      "Give test servers free TCP ports (the TIME_WAIT trick and libepr.so).\n"
	      "\n"
	      "  epr reserve [-n N] [IP [PORT]]   reserve a port and print it\n"
	      "  epr reserve --hold [SECONDS] [--hold-for PID|parent]\n"
	      "                                   and hold it past 60 s, in the background\n"
	      "  epr portserver [ADDRESS]         serve portpicker's portserver protocol\n"
	      "  epr run [OPTION...] -- CMD [ARG...]\n"
	      "                                   exec CMD with libepr.so preloaded\n"
	      "  epr start [OPTION...] -- CMD [ARG...]\n"
	      "                                   start a server in the background, wait until it\n"
	      "                                   listens, print its ports for eval\n"
	      "  epr stop [-t SECONDS] ENVFILE|PID\n"
	      "                                   stop a server that epr start started\n"
	      "  epr stop --all [--owner PID] [-t SECONDS]\n"
	      "                                   stop every launch of yours, all at once\n"
	      "  epr list [--json]                list your launches: pids, ports, age, command\n"
	      "  epr exec [-v] ENVFILE|PID -- CMD [ARG...]\n"
	      "                                   run a client in a launch's port space: its\n"
	      "                                   connects to a sentinel reach the launch's port\n"
	      "\n"
	      "  epr COMMAND --help               the options of COMMAND\n"
	      "  epr --version                    print the version\n",
	      out);
}

/* With 0, 1 or 2 closed, the first file epr opened would take its place, and a server
 * would read its log as stdin: /dev/null fills the gaps, opened the other way round so that
 * the descriptor still fails as a closed one would (EBADF). A closed stdout is then a write
 * failure like any other: epr start, whose printed ports nobody would see, stops its server. */
static void open_standard_fds(void)
{
	/* fcntl first: three cheap calls where all are open, the usual case, instead of a
	 * path lookup of /dev/null in every epr command. */
	for (int fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* the lower ones are open by now, so this one lands on fd; stdin write-only */
		got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return;
		}
	}
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int main(int argc, char *argv[])
{
	size_t i;

	open_standard_fds();
	if (argc > 0 && strcmp(basename_of(argv[0]), "ephemeral-port-reserve") == 0) {
		cli_command = "ephemeral-port-reserve";
		return cmd_reserve(argc, argv);
	}
	if (argc < 2)
		cli_usage_error("no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		cli_flush_stdout();
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		puts("epr " EPR_VERSION);
		cli_flush_stdout();
		return EXIT_SUCCESS;
	}
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		static char command[32];

		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		snprintf(command, sizeof command, "epr %s", subcommands[i].name);
		cli_command = command;
		return subcommands[i].run(argc - 1, argv + 1);
	}
	cli_usage_error("'%s' is not a command", argv[1]);
}
