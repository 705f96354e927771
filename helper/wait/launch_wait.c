/* epr start's waits beyond "it listens" (see launch_wait.h): what they share, and the
 * driving of all four from the supervisor's poll loop. Each wait is a file of its own:
 * wait_log.c, wait_cmd.c, wait_http.c, wait_notify.c. Failed attempts are retried after a
 * short fixed delay (HTTP_RETRY, CMD_RETRY), on one timerfd. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

#define LOG_RESCAN 0.1      /* without inotify, the log is read again this often */

bool wait_wanted(const struct launch_wait *w)
{
	return w->log_pattern || w->cmd || w->http_path || w->notify;
}

/* Copies text into out as one printable line: control characters become spaces, trailing
 * blanks go. */
void wait_printable(char *out, size_t cap, const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < cap; i++)
		out[n++] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? ' ' : text[i];
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The timer, set to the earliest thing due. */
static void rearm(struct launch_wait *w)
{
	double due = 0;
	struct itimerspec when = { { 0, 0 }, { 0, 0 } };

#define EARLIER(t) (due = due == 0 || (t) < due ? (t) : due)
	if (w->log_pattern && !w->log_done && w->inotify < 0 && w->log_fd >= 0)
		EARLIER(now_seconds() + LOG_RESCAN);
	if (w->log_more)
		EARLIER(now_seconds());
	if (w->begun && w->cmd && !w->cmd_done && !w->cmd_pid)
		EARLIER(w->cmd_next);
	if (w->begun && w->http_path && !w->http_done)
		EARLIER(w->http_fd < 0 ? w->http_next : w->http_deadline);
#undef EARLIER
	if (due > 0) {
		due -= now_seconds(); /* relative: now_seconds is CLOCK_MONOTONIC too */
		if (due < 1e-6)
			due = 1e-6;
		when.it_value.tv_sec = (time_t)due;
		when.it_value.tv_nsec = (long)((due - (double)when.it_value.tv_sec) * 1e9);
		if (!when.it_value.tv_sec && !when.it_value.tv_nsec)
			when.it_value.tv_nsec = 1000;
	}
	timerfd_settime(w->timer, 0, &when, NULL);
}

/* The last line the attempt printed, for its failure. */
void wait_last_line(const char *text, size_t len, char *out, size_t cap)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	size_t start = len;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	wait_printable(out, cap, text + start, len - start);
}

int wait_setup(struct launch_state *l, char *why, size_t cap)
{
	struct launch_wait *w = &l->wait;

	w->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	w->inotify = w->log_fd = w->cmd_out = w->http_fd = w->notify_fd = -1;
	if (w->timer < 0) {
		snprintf(why, cap, "timerfd: %s", strerror(errno));
		return -1;
	}
	if (w->log_pattern && wait_log_open(w, l->log) != 0) {
		snprintf(why, cap, "cannot follow the log %s for --wait-log: %s", l->log, strerror(errno));
		return -1;
	}
	if (w->notify && wait_notify_open(w) != 0) {
		snprintf(why, cap, "cannot bind a socket for --wait-notify's NOTIFY_SOCKET: %s",
			 strerror(errno));
		return -1;
	}
	rearm(w);
	return 0;
}

/* Starts what is due, ends what ran out of time. */
static void advance(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	double now = now_seconds();

	if (w->log_pattern && (w->inotify < 0 || w->log_more))
		wait_log_scan(w);
	if (w->cmd_pid && w->cmd_reaped)
		wait_cmd_finish(w);
	if (w->begun && w->cmd && !w->cmd_done && !w->cmd_pid && now >= w->cmd_next)
		wait_cmd_begin(l);
	if (w->begun && w->http_path && !w->http_done) {
		if (w->http_fd >= 0 && now >= w->http_deadline) {
			char limit[32];

			snprintf(limit, sizeof limit, "%g s", HTTP_ATTEMPT);
			wait_http_fail(w, "no answer within %s", limit);
		}
		if (w->http_fd < 0 && now >= w->http_next)
			wait_http_begin(l);
	}
	rearm(w);
}

static bool all_done(const struct launch_wait *w)
{
	return (!w->log_pattern || w->log_done) && (!w->cmd || w->cmd_done) &&
	       (!w->http_path || w->http_done) && (!w->notify || w->notify_done);
}

bool wait_done(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;

	if (!wait_wanted(w) || all_done(w))
		return true;
	if (!w->begun) {
		w->begun = true;
		w->cmd_next = w->http_next = now_seconds();
		advance(l);
	}
	return all_done(w);
}

void wait_pollfds(const struct launch_state *l, struct pollfd *p)
{
	const struct launch_wait *w = &l->wait;

	if (!wait_wanted(w)) {
		for (int i = 0; i < WAIT_POLLFDS; i++)
			p[i] = (struct pollfd){ -1, 0, 0 };
		return;
	}
	p[0] = (struct pollfd){ w->log_done ? -1 : w->inotify, POLLIN, 0 };
	p[1] = (struct pollfd){ w->cmd_out, POLLIN, 0 };
	p[2] = (struct pollfd){ w->http_fd, w->http_sent ? POLLIN : POLLOUT, 0 };
	p[3] = (struct pollfd){ w->timer, POLLIN, 0 };
	p[4] = (struct pollfd){ w->notify_fd, POLLIN, 0 }; /* after READY=1 too: a MAINPID= */
}

void wait_events(struct launch_state *l, const struct pollfd *p)
{
	struct launch_wait *w = &l->wait;

	if (!wait_wanted(w) || w->timer < 0)
		return;
	if (p[0].fd >= 0 && (p[0].revents & POLLIN)) {
		char events[4096];

		while (read(w->inotify, events, sizeof events) > 0)
			;
		wait_log_scan(w);
	}
	if (p[1].fd >= 0 && p[1].fd == w->cmd_out && p[1].revents)
		wait_cmd_read(w);
	if (p[2].fd >= 0 && p[2].fd == w->http_fd && p[2].revents)
		wait_http_event(l, p[2].revents);
	if (p[4].fd >= 0 && p[4].fd == w->notify_fd && p[4].revents)
		wait_notify_receive(l);
	if (p[3].revents & POLLIN) {
		uint64_t expired;

		if (read(w->timer, &expired, sizeof expired) < 0 && errno != EAGAIN)
			return;
	}
	advance(l);
}

/* Adds one wait's account to out, after "; " if it holds one already. */
static void add(char *out, size_t cap, const char *account)
{
	size_t used = strlen(out);

	snprintf(out + used, cap - used, "%s%s", used ? "; " : "", account);
}

void wait_describe(const struct launch_state *l, char *out, size_t cap)
{
	const struct launch_wait *w = &l->wait;
	char account[4 * WAIT_LAST], said[WAIT_LAST];

	out[0] = '\0';
	if (w->log_pattern && !w->log_done) {
		if (w->log_last[0])
			snprintf(account, sizeof account, "--wait-log '%s': no line matched; the last: \"%s\"",
				 w->log_pattern, w->log_last);
		else
			snprintf(account, sizeof account, "--wait-log '%s': no line matched", w->log_pattern);
		add(out, cap, account);
	}
	if (w->cmd && !w->cmd_done) {
		wait_last_line(w->cmd_output, w->cmd_output_len, said, sizeof said);
		/* The last attempt that finished says more than one cut short by the deadline. */
		if (w->cmd_pid && !w->cmd_last[0] && said[0])
			snprintf(account, sizeof account,
				 "--wait-cmd: the last attempt was still running, having printed \"%s\"", said);
		else if (w->cmd_pid && !w->cmd_last[0])
			snprintf(account, sizeof account, "--wait-cmd: the last attempt was still running");
		else
			snprintf(account, sizeof account, "--wait-cmd: %s", w->cmd_last[0] ? w->cmd_last : "never ran");
		add(out, cap, account);
	}
	if (w->http_path && !w->http_done) {
		snprintf(account, sizeof account, "--wait-http %s: %s", w->http_path,
			 w->http_last[0] ? w->http_last : w->http_fd >= 0 ? "no answer yet" : "never tried");
		add(out, cap, account);
	}
	if (w->notify && !w->notify_done) {
		wait_notify_describe(w, account, sizeof account);
		add(out, cap, account);
	}
}

const char *wait_failure(const struct launch_state *l)
{
	return l->wait.failed[0] ? l->wait.failed : NULL;
}

bool wait_main_exited(struct launch_state *l, const char *how)
{
	/* An ERRNO= it sent before it exited says more than the exit. */
	if (wait_notify_missing(l) && !wait_failure(l))
		wait_notify_exited(l, how);
	return wait_failure(l) != NULL;
}

void wait_cancel(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;

	if (!wait_wanted(w))
		return;
	if (w->cmd_pid > 0) {
		tree_kill_attempt(w->cmd_reaped ? 0 : w->cmd_pid);
		kill(-w->cmd_pid, SIGKILL);
		kill(w->cmd_pid, SIGKILL);
		if (!w->cmd_reaped)
			while (waitpid(w->cmd_pid, &w->cmd_status, 0) < 0 && errno == EINTR)
				;
		w->cmd_pid = 0;
	}
#define CLOSE(fd) do { if ((fd) >= 0) close(fd); (fd) = -1; } while (0)
	CLOSE(w->cmd_out);
	CLOSE(w->http_fd);
	CLOSE(w->inotify);
	CLOSE(w->log_fd);
	CLOSE(w->timer);
	CLOSE(w->notify_fd);
#undef CLOSE
}
