/* epr start's readiness beyond "it listens": a line of the log that matches (--wait-log),
 * a shell command that exits 0 (--wait-cmd), an HTTP GET that answers 2xx (--wait-http).
 * The supervisor drives them from its poll loop: every wait is a descriptor or a deadline,
 * never a sleep, and each remembers its last failure for the timeout message. */
#ifndef EPR_LAUNCH_WAIT_H
#define EPR_LAUNCH_WAIT_H

#include <poll.h>
#include <regex.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WAIT_POLLFDS 4 /* the log's inotify, the command's output, the HTTP socket, a timer */
#define WAIT_LAST 200  /* bytes kept of a last failure */
#define WAIT_RETRY_MAX 0.1 /* s: the longest delay between two attempts */
#define HTTP_ATTEMPT 2.0 /* one GET that gets no answer in this long has failed */
#define WAIT_LOG_PROBE 64 /* bytes of the log's start, and of the last read, kept */

struct launch_wait {
	/* set by epr start */
	const char *log_pattern;  /* --wait-log, compiled into log_re */
	regex_t log_re;
	const char *cmd;          /* --wait-cmd, run with /bin/sh -c */
	const char *http_path;    /* --wait-http */
	const char *caller_preload; /* LD_PRELOAD as the caller had it, for the command */

	/* driven by launch_wait.c */
	bool begun;               /* the ports listen: the command and HTTP attempts run */
	bool log_done, cmd_done, http_done;
	int timer;

	int inotify, log_fd;      /* inotify -1: the log is read again on the timer */
	off_t log_offset;
	bool log_more;            /* the last scan stopped at its cap: scan again at once */
	char log_head[WAIT_LOG_PROBE], log_tail[WAIT_LOG_PROBE]; /* to tell a truncation */
	size_t log_head_len, log_tail_len;
	char line[1024];          /* the line being read; a longer one is matched on its start */
	size_t line_len;
	char log_last[WAIT_LAST];

	pid_t cmd_pid;            /* the attempt running, 0: none */
	int cmd_out;              /* its stdout and stderr */
	bool cmd_reaped;
	int cmd_status;
	char cmd_output[WAIT_LAST];
	size_t cmd_output_len;
	double cmd_next;
	unsigned cmd_tries;
	char cmd_last[2 * WAIT_LAST];

	int http_fd;              /* the attempt in flight, -1: none */
	bool http_sent;
	char http_reply[256];
	size_t http_reply_len;
	double http_next, http_deadline;
	unsigned http_tries;
	char http_last[WAIT_LAST];
};

struct launch_state;

/* Whether any --wait-* option was given. */
bool wait_wanted(const struct launch_wait *w);
/* Once CMD runs: begins to read the log for --wait-log. 0, or -1 with errno. */
int wait_setup(struct launch_state *l);
/* The ports listen: true once every wait holds; the command and HTTP attempts begin on the
 * first call. */
bool wait_done(struct launch_state *l);
/* Fills WAIT_POLLFDS entries of p (fd -1 for those not in use). */
void wait_pollfds(const struct launch_state *l, struct pollfd *p);
/* After poll: handles what p says and whatever is due. */
void wait_events(struct launch_state *l, const struct pollfd *p);
/* A child was reaped: true if it was the command's attempt. */
bool wait_reaped(struct launch_state *l, pid_t pid, int status);
/* What is still missing, for the timeout message: "--wait-cmd: exited with status 2: ...". */
void wait_describe(const struct launch_state *l, char *out, size_t cap);
/* Ends every attempt (the command killed and reaped) and closes what the waits hold. */
void wait_cancel(struct launch_state *l);

/* Between the parts: launch_wait.c drives, wait_log.c, wait_cmd.c and wait_http.c wait. */
/* The delay before attempt tries + 1, after tries that failed. */
double wait_retry_delay(unsigned tries);
/* text as one printable line into out: control characters as spaces, no trailing blanks. */
void wait_printable(char *out, size_t cap, const char *text, size_t len);
/* The last line of text, printable, into out. */
void wait_last_line(const char *text, size_t len, char *out, size_t cap);
/* wait_log.c: opens the log and its inotify watch (-1 with errno), and reads what is new. */
int wait_log_open(struct launch_wait *w, const char *log);
void wait_log_scan(struct launch_wait *w);
/* wait_cmd.c: starts an attempt; keeps what it prints; judges it once reaped. */
void wait_cmd_begin(struct launch_state *l);
void wait_cmd_read(struct launch_wait *w);
void wait_cmd_finish(struct launch_wait *w);
/* wait_http.c: starts a GET; ends one with its failure; moves one on when its socket is ready. */
void wait_http_begin(struct launch_state *l);
void wait_http_fail(struct launch_wait *w, const char *fmt, const char *detail);
void wait_http_event(struct launch_state *l, short revents);

#endif
