/* epr start's readiness beyond "it listens": a line of the log that matches (--wait-log),
 * a shell command that exits 0 (--wait-cmd), an HTTP GET that answers 2xx (--wait-http),
 * the server's own READY=1 on NOTIFY_SOCKET (--wait-notify). The supervisor drives them
 * from its poll loop: every wait is a descriptor or a deadline, never a sleep, and each
 * remembers its last failure for the timeout message. */
#ifndef EPR_LAUNCH_WAIT_H
#define EPR_LAUNCH_WAIT_H

#include <poll.h>
#include <regex.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WAIT_POLLFDS 5 /* the log's inotify, the command's output, the HTTP socket, a timer,
			* NOTIFY_SOCKET */
#define WAIT_LAST 200  /* bytes kept of a last failure */
/* s: from a failed attempt to the next. A loopback GET costs the supervisor about 0.1 ms
 * and a command's attempt about 0.3 ms (a fork, a reap), so short fixed delays answer within
 * milliseconds of the server being ready and still cost it little: 2% of a core for GETs
 * every 5 ms, 3% for a command that fails at once ('test -s FILE') every 8 ms, where 5 ms
 * came near 5% (bench/waits.py). */
#define HTTP_RETRY 0.005
#define CMD_RETRY 0.008
#define WAIT_RETRY_MAX 0.1 /* s: after an attempt that could not even be made (no pipe, fork) */
#define HTTP_ATTEMPT 2.0 /* one GET that gets no answer in this long has failed */
#define WAIT_LOG_PROBE 64 /* bytes of the log's start, and of the last read, kept */

struct launch_wait {
	/* set by epr start */
	const char *log_pattern;  /* --wait-log, compiled into log_re */
	regex_t log_re;
	const char *cmd;          /* --wait-cmd, run with /bin/sh -c */
	const char *http_path;    /* --wait-http */
	bool notify;              /* --wait-notify */
	const char *caller_preload; /* LD_PRELOAD as the caller had it, for the command */

	/* driven by launch_wait.c */
	bool begun;               /* the ports listen: the command and HTTP attempts run */
	bool log_done, cmd_done, http_done, notify_done;
	int timer;
	char failed[2 * WAIT_LAST]; /* a wait that can no longer hold: the start fails at once */

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
	char cmd_last[2 * WAIT_LAST];

	int http_fd;              /* the attempt in flight, -1: none */
	bool http_sent;
	char http_reply[256];
	size_t http_reply_len;
	double http_next, http_deadline;
	char http_last[WAIT_LAST];

	int notify_fd;            /* NOTIFY_SOCKET, bound before CMD runs */
	char notify_name[64];     /* "@epr-notify-PID-RANDOM", as NOTIFY_SOCKET says it */
	char notify_status[WAIT_LAST]; /* the last STATUS= */
	pid_t notify_mainpid;     /* MAINPID=, a process of the tree: EPR_PID; 0: none */
};

struct launch_state;

/* Whether any --wait-* option was given. */
bool wait_wanted(const struct launch_wait *w);
/* Before CMD runs: begins to read the log for --wait-log, binds NOTIFY_SOCKET for
 * --wait-notify. 0, or -1 with why it could not into why. */
int wait_setup(struct launch_state *l, char *why, size_t cap);
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
/* Why the start must fail now, or NULL: the server said ERRNO=, or exited before READY=1. */
const char *wait_failure(const struct launch_state *l);
/* CMD was reaped, how ("exited with status 3"), while the launch starts: true when that
 * fails it (--wait-notify without READY=1, and no MAINPID= naming another process); then
 * wait_failure says why. */
bool wait_main_exited(struct launch_state *l, const char *how);

/* Between the parts: launch_wait.c drives, wait_log.c, wait_cmd.c and wait_http.c wait. */
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
/* wait_notify.c: binds NOTIFY_SOCKET and sets it for CMD (-1 with errno); reads what came;
 * whether READY=1 is still missing once what came is read; the timeout's account. */
int wait_notify_open(struct launch_wait *w);
void wait_notify_receive(struct launch_state *l);
bool wait_notify_missing(struct launch_state *l);
void wait_notify_exited(struct launch_state *l, const char *how);
void wait_notify_describe(const struct launch_wait *w, char *out, size_t cap);

#endif
