/* The epr command: what its source files share. Each subcommand lives in its own cmd_*.c. */
#ifndef EPR_CLI_H
#define EPR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "port_spec.h"

#define EPR_VERSION "0.1.0"

/* Exit statuses, as env(1) uses them. */
#define EXIT_USAGE        2
#define EXIT_CANNOT_EXEC  126
#define EXIT_NOT_FOUND    127

/* cli.c: messages. Every line starts with "epr: "; usage errors add a hint naming
 * cli_command, the command as the user typed it ("epr start", "ephemeral-port-reserve"). */
extern const char *cli_command;
/* The exit status of a usage error: EXIT_USAGE, but 1 for ephemeral-port-reserve, whose
 * classic namesake exits 1 on every error. */
extern int cli_usage_status;
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports getopt's complaint about argv[optind - 1] and exits 2. */
_Noreturn void cli_bad_option(char *const argv[], int opt);
/* Parses a number of seconds (e.g. "2", "0.5") for option, or exits 2. */
double cli_seconds(const char *option, const char *text);
/* text as a process id: digits only, 1 to 0x3fffffff (the kernel's PID_MAX_LIMIT); 0 if it
 * is not one. */
pid_t cli_pid(const char *text);
/* Flushes stdout; a failed write there (a closed pipe, a full disk) is a failure. */
void cli_flush_stdout(void);

/* The subcommands: each takes its own argv (argv[0] is the subcommand) and returns the
 * exit status. */
int cmd_exec(int argc, char *argv[]);
int cmd_list(int argc, char *argv[]);
int cmd_portserver(int argc, char *argv[]);
int cmd_reserve(int argc, char *argv[]);
int cmd_run(int argc, char *argv[]);
int cmd_start(int argc, char *argv[]);
int cmd_stop(int argc, char *argv[]);

/* shim_path.c: the absolute path of libepr.so ($EPR_LIB, else next to this executable,
 * else its ../lib/epr/); exits 1 naming the places it looked if there is none. */
char *shim_path_find(void);

/* launch_env.c: the environment that run and start give CMD. */
/* How a launch catches binds (--via): the preloaded shim, seccomp user notification, or
 * chosen from the program's ELF. */
enum launch_via { VIA_AUTO, VIA_PRELOAD, VIA_SECCOMP };
/* What makes a sentinel ready for epr start: -p S, a TCP listen or a UDP bind, whichever
 * comes first (0); S/tcp, a TCP listen; S/udp, a UDP bind; both given, both. */
enum { READY_ON_TCP = 1, READY_ON_UDP = 2 };
struct launch {
	struct port_specs specs; /* from -p */
	unsigned ready_on[EPR_MAX_SENTINELS]; /* specs.item[i]'s READY_ON_* bits */
	char *env_file;          /* from -e, absolute; NULL: none */
	bool no_zero;            /* --no-zero */
	bool verbose;            /* -v */
	bool real_ports;         /* --real-ports */
	enum launch_via via;     /* --via */
};
/* The options that run and start share: -p, -e, --no-zero, -v, --via, --real-ports, for
 * getopt_long. */
enum { LAUNCH_OPT_NO_ZERO = 256, LAUNCH_OPT_VIA, LAUNCH_OPT_REAL_PORTS };
#define LAUNCH_LONG_OPTIONS                                          \
	{ "port", required_argument, NULL, 'p' },                    \
	{ "env-file", required_argument, NULL, 'e' },                \
	{ "no-zero", no_argument, NULL, LAUNCH_OPT_NO_ZERO },        \
	{ "via", required_argument, NULL, LAUNCH_OPT_VIA },          \
	{ "real-ports", no_argument, NULL, LAUNCH_OPT_REAL_PORTS },  \
	{ "verbose", no_argument, NULL, 'v' }
/* Applies opt (with its argument) to l if it is one of those; false if it is not. Exits 2
 * on a bad -p or an empty -e. */
bool launch_option(struct launch *l, int opt, const char *arg);
/* A malloc'd absolute form of path (relative to the current directory), or exits 1. */
char *launch_absolute_path(const char *path);
/* Sets LD_PRELOAD (unless shim is NULL: a seccomp launch), EPR_* in this process's
 * environment, for CMD to inherit. EPR_PORTS and
 * EPR_ENV_FILE, when l does not set them, are kept as inherited if keep_inherited, else
 * removed; EPR_ZERO, EPR_DEBUG and EPR_REAL_PORTS are kept; EPR_CLIENT is removed. */
void launch_env_apply(const struct launch *l, const char *shim, bool keep_inherited);
/* Exits 1 naming what when path cannot go into an env file as it is (see envfile_value_ok). */
void launch_check_value(const char *what, const char *path);
/* Exits 1 unless path can be the env file: a safe value, and missing or a file epr wrote
 * (read into ef, which is left empty otherwise). */
struct envfile;
void launch_check_env_file(const char *path, struct envfile *ef);

/* command_path.c: CMD as execvp would find it (a name without '/' is looked up in $PATH).
 * Returns a malloc'd path, or NULL with errno ENOENT (not found) or EACCES (found, but
 * not executable). */
char *command_path_resolve(const char *name);
/* The exit status for a CMD that could not be executed with error err: 127 or 126. */
int command_exec_status(int err);

/* launch_via.c: the interceptor for CMD, of which facts were read (elf_inspect): --via as
 * given, or for auto, seccomp for a static or Go program and preload for the rest. Warns as
 * elf_check_warn does for preload; exits 1 for a setuid or setgid program under seccomp. -v
 * says which was chosen. */
struct program_facts;
enum launch_via launch_choose_via(const struct launch *l, const struct program_facts *facts,
				  const char *name);

/* elf_check.c: warns on stderr when the preloaded shim cannot work in the program at path
 * (statically linked, or run setuid/setgid); never fails. */
void elf_check_warn(const char *path, const char *name);

/* proc_info.c: what /proc/PID/stat says of pid, read and parsed in one place. */
struct proc_stat {
	char state;               /* R, S, D, Z (zombie), ... */
	pid_t ppid;
	unsigned long long start; /* in clock ticks since boot (field 22) */
};
/* 0, or -1 when pid is gone (or unreadable). */
int proc_stat_read(pid_t pid, struct proc_stat *out);
/* When pid started; 0 if unknown. A pid with another start time than recorded is a reused
 * pid. */
unsigned long long proc_start_time(pid_t pid);
/* True while pid runs with that start time and is not a zombie. */
bool proc_running(pid_t pid, unsigned long long start);
/* pid's name (/proc/PID/comm: the program, cut to 15 bytes), a byte that is not printable
 * as '?', into out. 0, or -1 when pid is gone. */
int proc_name(pid_t pid, char *out, size_t cap);
/* The parent of pid, or -1 if it is gone. */
pid_t proc_parent(pid_t pid);
/* The thread group (process) that thread tid belongs to: tid itself for a process; -1 if
 * it is gone. */
pid_t proc_thread_group(pid_t tid);
/* Whole seconds since a process with that start time began (from /proc/uptime, read once
 * per command); 0 if unknown. */
long long proc_age(unsigned long long start);

/* private_dir.c: the directory that epr start makes when not given -e: a malloc'd
 * "$TMPDIR/epr.XXXXXX" (exits 1 on failure), and its removal with the files in it; a
 * directory not named so is refused (EPERM). 0, or -1 with errno set. */
char *private_dir_create(void);
int private_dir_remove(const char *dir);

/* log_tail.c: copies the last lines of the file at path to stderr, indented, under the
 * heading "the end of LABEL:"; an empty or unreadable file shows nothing. */
void log_tail(const char *path, const char *label, int lines);

/* sh_quote.c: word as sh would need it typed (plain, or in single quotes with each ' as
 * '\''; an empty word as ''), NUL-terminated in out; its length, or cap if it does not fit. */
size_t sh_quote(const char *word, char *out, size_t cap);

/* json_out.c: s as a JSON string, quoted and escaped ('"', '\\', control characters as
 * \u00XX, a byte that is not UTF-8 as U+FFFD), or null for NULL. */
void json_string(FILE *out, const char *s);
/* A comma-separated list of ports, as EPR_PORT_LIST holds it, as a JSON array of numbers;
 * an empty item or one that is no port is left out. */
void json_port_list(FILE *out, const char *list);

/* clock.c: monotonic time, for bounded waits. */
double now_seconds(void);

#endif
