/* Messages and small argument helpers shared by every subcommand. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *cli_command = "epr";
int cli_usage_status = EXIT_USAGE;

static void vmessage(const char *fmt, va_list ap)
{
	fputs("epr: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", cli_command);
	exit(cli_usage_status);
}

void cli_bad_option(char *const argv[], int opt)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		cli_usage_error("option '%s' needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		cli_usage_error("unknown option '-%c'", optopt);
	cli_usage_error("unknown option '%s'", arg);
}

double cli_seconds(const char *option, const char *text)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	/* An upper bound keeps deadlines arithmetic safe; a day is more than any test wants. */
	if (errno || end == text || *end || !isfinite(s) || s <= 0 || s > 86400)
		cli_usage_error("%s: '%s' is not a number of seconds (above 0, at most 86400)", option, text);
	return s;
}

pid_t cli_pid(const char *text)
{
	long value;

	if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 10)
		return 0;
	value = strtol(text, NULL, 10);
	return value >= 1 && value <= 0x3fffffff ? (pid_t)value : 0;
}

void cli_flush_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_fail("writing to stdout: %s", strerror(errno));
}
