/* epr list: the caller's live launches, from the registry: aligned columns for a person,
 * or a JSON array for a program (--json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

/* Longer commands are cut in the columns, so that a line stays readable; --json has them whole. */
#define COMMAND_COLUMN 40

static void usage(void)
{
	printf("Usage: epr list [--json]\n"
	       "List the caller's launches of epr start and epr run that still run, oldest\n"
	       "first: CMD's pid (EPR_PID), its supervisor's (\"gone\" when it was killed and\n"
	       "its tree lives on), the ports, the age, the command and the env file. Prints\n"
	       "nothing when there is none.\n"
	       "\n"
	       "  --json       a JSON array of objects instead: pid, supervisor_pid (or null),\n"
	       "               ports, age (seconds), command, env_file, log and owner (or null)\n"
	       "  -h, --help   show this help\n");
}

/* One launch as listed. */
struct row {
	const struct launch_entry *e;
	bool orphaned;          /* its supervisor is gone */
	char ports[1800];       /* EPR_PORT_LIST as it is: digits and commas; "" if none */
	char log[4096];         /* EPR_LOG; "" if none */
	long long age;
};

/* Ports and log from the env file; a launch whose file cannot be read is still listed. */
static void read_env_file(struct row *r)
{
	static struct envfile ef;

	r->ports[0] = r->log[0] = '\0';
	if (!r->e->env_file[0] || envfile_read(r->e->env_file, &ef) != 0)
		return;
	if (envfile_get(&ef, EPR_KEY_PORT_LIST, r->ports, sizeof r->ports) < 0 ||
	    strspn(r->ports, "0123456789,") != strlen(r->ports))
		r->ports[0] = '\0';
	if (envfile_get(&ef, EPR_KEY_LOG, r->log, sizeof r->log) < 0)
		r->log[0] = '\0';
}

/* The live launches of the caller's among all; their count. */
static size_t live_rows(const struct launch_entry *all, size_t n, struct row *rows)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		enum entry_state state = registry_state(&all[i]);

		if (state != ENTRY_SUPERVISED && state != ENTRY_ORPHANED)
			continue;
		rows[m].e = &all[i];
		rows[m].orphaned = state == ENTRY_ORPHANED;
		rows[m].age = proc_age(all[i].supervisor_start);
		read_env_file(&rows[m]);
		m++;
	}
	return m;
}

/* "42s", "3m05s", "2h01m", "3d04h": two units at most, as ps and docker show ages. */
static void format_age(long long s, char *out, size_t cap)
{
	if (s < 60)
		snprintf(out, cap, "%llds", s);
	else if (s < 3600)
		snprintf(out, cap, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* Characters on the terminal, roughly: UTF-8 continuation bytes take no column. */
static size_t columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* command cut to COMMAND_COLUMN characters, "..." included, never inside a character. */
static void cut_command(const char *command, char *out, size_t cap)
{
	size_t len = 0, cols = 0, keep = 0;

	if (columns(command) <= COMMAND_COLUMN) {
		snprintf(out, cap, "%s", command);
		return;
	}
	for (; command[len]; len++) {
		if (((unsigned char)command[len] & 0xc0) == 0x80)
			continue;
		if (cols++ == COMMAND_COLUMN - 3)
			break;
		keep = len + 1;
	}
	/* keep ends just after a lead byte: take that character's continuation bytes too */
	while (command[keep] && ((unsigned char)command[keep] & 0xc0) == 0x80)
		keep++;
	snprintf(out, cap, "%.*s...", (int)keep, command);
}

#define N_COLUMNS 6

/* Prints cell padded to width, then the gap to the next column (none after the last). */
static void cell(const char *text, size_t width, bool last)
{
	fputs(text, stdout);
	if (last) {
		putchar('\n');
		return;
	}
	for (size_t i = columns(text); i < width + 2; i++)
		putchar(' ');
}

static void print_text(const struct row *rows, size_t n)
{
	static const char *const header[N_COLUMNS] = { "PID", "SUPERVISOR", "PORTS", "AGE", "COMMAND",
						       "ENV FILE" };
	char (*cells)[N_COLUMNS][4200] = calloc(n, sizeof *cells);
	size_t width[N_COLUMNS];

	if (!cells)
		cli_fail("listing the launches: out of memory");
	for (size_t c = 0; c < N_COLUMNS; c++)
		width[c] = strlen(header[c]);
	for (size_t i = 0; i < n; i++) {
		const struct launch_entry *e = rows[i].e;

		snprintf(cells[i][0], sizeof cells[i][0], "%d", (int)e->main);
		if (rows[i].orphaned)
			snprintf(cells[i][1], sizeof cells[i][1], "gone");
		else
			snprintf(cells[i][1], sizeof cells[i][1], "%d", (int)e->supervisor);
		snprintf(cells[i][2], sizeof cells[i][2], "%s", rows[i].ports[0] ? rows[i].ports : "-");
		format_age(rows[i].age, cells[i][3], sizeof cells[i][3]);
		char *command = registry_command_text(e, true);

		cut_command(command[0] ? command : "-", cells[i][4], sizeof cells[i][4]);
		free(command);
		snprintf(cells[i][5], sizeof cells[i][5], "%s", e->env_file[0] ? e->env_file : "-");
		for (size_t c = 0; c < N_COLUMNS; c++)
			if (columns(cells[i][c]) > width[c])
				width[c] = columns(cells[i][c]);
	}
	if (n)
		for (size_t c = 0; c < N_COLUMNS; c++)
			cell(header[c], width[c], c == N_COLUMNS - 1);
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < N_COLUMNS; c++)
			cell(cells[i][c], width[c], c == N_COLUMNS - 1);
	free(cells);
}

static void print_json(const struct row *rows, size_t n)
{
	fputs(n ? "[\n" : "[]\n", stdout);
	for (size_t i = 0; i < n; i++) {
		const struct launch_entry *e = rows[i].e;

		printf("  {\"pid\": %d, \"supervisor_pid\": ", (int)e->main);
		if (rows[i].orphaned)
			fputs("null", stdout);
		else
			printf("%d", (int)e->supervisor);
		fputs(", \"ports\": ", stdout);
		json_port_list(stdout, rows[i].ports);
		char *command = registry_command_text(e, false);

		printf(", \"age\": %lld, \"command\": ", rows[i].age);
		json_string(stdout, command); /* whole: control characters and all */
		free(command);
		fputs(", \"env_file\": ", stdout);
		json_string(stdout, e->env_file[0] ? e->env_file : NULL);
		fputs(", \"log\": ", stdout);
		json_string(stdout, rows[i].log[0] ? rows[i].log : NULL);
		fputs(", \"owner\": ", stdout);
		if (e->owner > 0)
			printf("%d}", (int)e->owner);
		else
			fputs("null}", stdout);
		fputs(i + 1 < n ? ",\n" : "\n]\n", stdout);
	}
}

int cmd_list(int argc, char *argv[])
{
	enum { OPT_JSON = 256 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	struct launch_entry *all;
	struct row *rows;
	size_t n;
	int opt;

	while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			usage();
			cli_flush_stdout();
			return EXIT_SUCCESS;
		default:
			cli_bad_option(argv, opt);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	all = registry_all(&n);
	rows = calloc(n + 1, sizeof *rows);
	if (!rows)
		cli_fail("listing the launches: out of memory");
	n = live_rows(all, n, rows);
	if (json)
		print_json(rows, n);
	else
		print_text(rows, n);
	cli_flush_stdout();
	free(rows);
	free(all);
	return EXIT_SUCCESS;
}
