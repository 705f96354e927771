/* epr start's waits beyond "it listens" (see launch_wait.h). All three run inside the
 * supervisor's poll loop: the log is followed with inotify, the command's attempts are
 * children whose output comes through a pipe, the HTTP GET is a non-blocking socket. Failed
 * attempts are retried after a delay that doubles up to RETRY_MAX, on one timerfd. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envfile.h"
#include "epr_env.h"
#include "launch.h"

#define RETRY_FIRST 0.02
#define RETRY_MAX 0.1 
#define LOG_RESCAN 0.1      /* without inotify, the log is read again this often */
#define HTTP_ATTEMPT 2.0    /* one GET that gets no answer in this long has failed */
#define LOG_CHUNKS 256      /* 4 KiB reads per wake-up; more is read on the next */

bool wait_wanted(const struct launch_wait *w)
{
	return w->log_pattern || w->cmd || w->http_path;
}

static double retry_delay(unsigned tries)
{
	double d = RETRY_FIRST;

	while (tries-- > 0 && d < RETRY_MAX)
		d *= 2;
	return d < RETRY_MAX ? d : RETRY_MAX;
}

/* Copies text into out as one printable line: control characters become spaces, trailing
 * blanks go. */
static void printable(char *out, size_t cap, const char *text, size_t len)
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

/* ---- --wait-log ---- */

static void log_line_done(struct launch_wait *w)
{
	w->line[w->line_len] = '\0';
	if (w->line_len) {
		printable(w->log_last, sizeof w->log_last, w->line, w->line_len);
		if (regexec(&w->log_re, w->line, 0, NULL, 0) == 0)
			w->log_done = true;
	}
	w->line_len = 0;
	w->line_cut = false;
}

/* Reads what the log gained since last time and matches its complete lines. */
static void log_scan(struct launch_wait *w)
{
	char buf[4096];
	struct stat st;

	if (w->log_fd < 0 || w->log_done)
		return;
	if (fstat(w->log_fd, &st) == 0 && st.st_size < w->log_offset) {
		w->log_offset = 0; /* truncated: read it again */
		w->line_len = 0;
	}
	for (int chunk = 0; chunk < LOG_CHUNKS && !w->log_done; chunk++) {
		ssize_t n = pread(w->log_fd, buf, sizeof buf, w->log_offset);

		if (n <= 0)
			return;
		w->log_offset += n;
		for (ssize_t i = 0; i < n && !w->log_done; i++) {
			if (buf[i] == '\n')
				log_line_done(w);
			else if (w->line_len + 1 < sizeof w->line)
				w->line[w->line_len++] = buf[i];
			else
				w->line_cut = true; /* the rest of a long line is not matched */
		}
	}
}

int wait_setup(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;

	w->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	w->inotify = w->log_fd = w->cmd_out = w->http_fd = -1;
	if (w->timer < 0)
		return -1;
	if (!w->log_pattern)
		return 0;
	w->log_fd = open(l->log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (w->log_fd < 0)
		return -1;
	w->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->inotify >= 0 && inotify_add_watch(w->inotify, l->log, IN_MODIFY) < 0) {
		close(w->inotify); /* out of watches: read it on the timer instead */
		w->inotify = -1;
	}
	log_scan(w);
	rearm(w);
	return 0;
}

/* ---- --wait-cmd ---- */

/* In the attempt's child: the caller's environment with the launch's EPR_* values, and none
 * of what makes a process part of the launch. */
static void cmd_environment(const struct launch_state *l)
{
	static struct envfile ef;
	const char *line;

	unsetenv(EPR_ENV_SUPERVISOR);
	unsetenv(EPR_ENV_PORTS);
	unsetenv(EPR_ENV_ENV_FILE);
	unsetenv(EPR_ENV_TREE);
	unsetenv(EPR_ENV_BOUND);
	if (l->wait.caller_preload)
		setenv("LD_PRELOAD", l->wait.caller_preload, 1);
	else
		unsetenv("LD_PRELOAD");
	if (!l->options->env_file || envfile_read(l->options->env_file, &ef) != 0)
		return;
	setenv(EPR_KEY_FILE, l->options->env_file, 1);
	for (line = ef.text; line < ef.text + ef.len; line = strchr(line, '\n') + 1) {
		char key[64], value[ENVFILE_MAX];
		size_t keylen = strcspn(line, "=\n");

		if (line[keylen] != '=' || keylen >= sizeof key)
			continue;
		memcpy(key, line, keylen);
		key[keylen] = '\0';
		if (envfile_get(&ef, key, value, sizeof value) >= 0)
			setenv(key, value, 1);
	}
}

static _Noreturn void cmd_child(const struct launch_state *l, int out)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	setpgid(0, 0); /* its own group: a timeout kills what it started too */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	cmd_environment(l);
	execl("/bin/sh", "sh", "-c", l->wait.cmd, (char *)NULL);
	dprintf(2, "/bin/sh: %s\n", strerror(errno));
	_exit(127);
}

static void cmd_begin(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	int out[2];

	if (pipe2(out, O_CLOEXEC) != 0) {
		snprintf(w->cmd_last, sizeof w->cmd_last, "could not run: pipe: %s", strerror(errno));
		w->cmd_next = now_seconds() + RETRY_MAX;
		return;
	}
	w->cmd_pid = fork();
	if (w->cmd_pid == 0)
		cmd_child(l, out[1]);
	close(out[1]);
	if (w->cmd_pid < 0) {
		snprintf(w->cmd_last, sizeof w->cmd_last, "could not run: fork: %s", strerror(errno));
		close(out[0]);
		w->cmd_pid = 0;
		w->cmd_next = now_seconds() + RETRY_MAX;
		return;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	w->cmd_out = out[0];
	w->cmd_reaped = false;
	w->cmd_output_len = 0;
}

/* Keeps the last bytes of the attempt's output. */
static void cmd_read(struct launch_wait *w)
{
	char buf[1024];
	ssize_t n;

	if (w->cmd_out < 0)
		return;
	while ((n = read(w->cmd_out, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		if ((size_t)n >= sizeof w->cmd_output) {
			memcpy(w->cmd_output, buf + n - (sizeof w->cmd_output - 1), sizeof w->cmd_output - 1);
			w->cmd_output_len = sizeof w->cmd_output - 1;
			continue;
		}
		if (w->cmd_output_len + (size_t)n >= sizeof w->cmd_output) {
			size_t drop = w->cmd_output_len + (size_t)n - (sizeof w->cmd_output - 1);

			memmove(w->cmd_output, w->cmd_output + drop, w->cmd_output_len - drop);
			w->cmd_output_len -= drop;
		}
		memcpy(w->cmd_output + w->cmd_output_len, buf, (size_t)n);
		w->cmd_output_len += (size_t)n;
	}
	close(w->cmd_out); /* end of output: every writer is gone */
	w->cmd_out = -1;
}

/* The last line the attempt printed, for its failure. */
static void last_line(const char *text, size_t len, char *out, size_t cap)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	size_t start = len;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	printable(out, cap, text + start, len - start);
}

static void cmd_finish(struct launch_wait *w)
{
	char how[64], said[WAIT_LAST];

	cmd_read(w);
	if (w->cmd_out >= 0) { /* something it started holds the pipe: its output is done */
		close(w->cmd_out);
		w->cmd_out = -1;
	}
	kill(-w->cmd_pid, SIGKILL); /* what it left in its group */
	w->cmd_pid = 0;
	if (WIFEXITED(w->cmd_status) && WEXITSTATUS(w->cmd_status) == 0) {
		w->cmd_done = true;
		return;
	}
	if (WIFSIGNALED(w->cmd_status))
		snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(w->cmd_status));
	else
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(w->cmd_status));
	last_line(w->cmd_output, w->cmd_output_len, said, sizeof said);
	if (said[0])
		snprintf(w->cmd_last, sizeof w->cmd_last, "%s: \"%s\"", how, said);
	else
		snprintf(w->cmd_last, sizeof w->cmd_last, "%s, printing nothing", how);
	w->cmd_next = now_seconds() + retry_delay(w->cmd_tries++);
}

bool wait_reaped(struct launch_state *l, pid_t pid, int status)
{
	struct launch_wait *w = &l->wait;

	if (!w->cmd_pid || pid != w->cmd_pid)
		return false;
	w->cmd_status = status;
	w->cmd_reaped = true;
	return true;
}

/* ---- --wait-http ---- */

/* Where EPR_PORT listens, as a client reaches it: a wildcard means loopback. */
static bool http_address(const struct launch_state *l, struct sockaddr_storage *to, socklen_t *len)
{
	const struct launch_export *e = launch_first_export(l);

	if (!e || !e->addrlen)
		return false;
	memcpy(to, &e->addr, e->addrlen);
	*len = e->addrlen;
	if (to->ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)to;

		if (in->sin_addr.s_addr == htonl(INADDR_ANY))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (to->ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)to;

		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
	}
	return true;
}

static void http_fail(struct launch_wait *w, const char *fmt, const char *detail)
{
	snprintf(w->http_last, sizeof w->http_last, fmt, detail);
	if (w->http_fd >= 0)
		close(w->http_fd);
	w->http_fd = -1;
	w->http_next = now_seconds() + retry_delay(w->http_tries++);
}

static void http_begin(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	struct sockaddr_storage to;
	socklen_t len;

	if (!http_address(l, &to, &len)) {
		http_fail(w, "%s", "no address to connect to");
		return;
	}
	w->http_fd = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->http_fd < 0) {
		http_fail(w, "socket: %s", strerror(errno));
		return;
	}
	w->http_sent = false;
	w->http_reply_len = 0;
	w->http_deadline = now_seconds() + HTTP_ATTEMPT;
	if (connect(w->http_fd, (struct sockaddr *)&to, len) != 0 && errno != EINPROGRESS)
		http_fail(w, "%s", strerror(errno));
}

static void http_send(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	const struct launch_export *e = launch_first_export(l);
	char request[1024];
	int err = 0, n;
	socklen_t len = sizeof err;

	if (getsockopt(w->http_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err) {
		http_fail(w, "%s", strerror(err));
		return;
	}
	n = snprintf(request, sizeof request,
		     "GET %s HTTP/1.1\r\nHost: localhost:%u\r\nUser-Agent: epr/" EPR_VERSION
		     "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		     w->http_path, e ? (unsigned)e->port : 0u);
	/* A request this small goes out whole into an empty socket buffer. */
	if (send(w->http_fd, request, (size_t)n, MSG_NOSIGNAL) != n) {
		http_fail(w, "sending the request: %s", strerror(errno));
		return;
	}
	w->http_sent = true;
}

/* Reads the status line: "HTTP/1.1 200 OK". */
static void http_receive(struct launch_wait *w)
{
	size_t room = sizeof w->http_reply - 1 - w->http_reply_len;
	ssize_t n = recv(w->http_fd, w->http_reply + w->http_reply_len, room, 0);
	char *eol, status[WAIT_LAST];
	int code = 0, used = 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		http_fail(w, "%s", strerror(errno));
		return;
	}
	w->http_reply_len += (size_t)n;
	w->http_reply[w->http_reply_len] = '\0';
	eol = strchr(w->http_reply, '\n');
	if (!eol && n > 0 && w->http_reply_len + 1 < sizeof w->http_reply)
		return; /* more to come */
	if (!eol && w->http_reply_len == 0) {
		http_fail(w, "%s", "the connection was closed without an answer");
		return;
	}
	printable(status, sizeof status, w->http_reply,
		  eol ? (size_t)(eol - w->http_reply) : w->http_reply_len);
	if (sscanf(w->http_reply, "HTTP/%*d.%*d %3d%n", &code, &used) != 1 || code < 100 || code > 999) {
		http_fail(w, "not an HTTP answer: \"%s\"", status);
		return;
	}
	if (code >= 200 && code <= 299) {
		close(w->http_fd);
		w->http_fd = -1;
		w->http_done = true;
		return;
	}
	/* "status 503 Service Unavailable": the line without its version */
	http_fail(w, "status %s", status + strcspn(status, " ") + (status[strcspn(status, " ")] != '\0'));
}

static void http_event(struct launch_state *l, short revents)
{
	struct launch_wait *w = &l->wait;

	if (!w->http_sent && (revents & (POLLOUT | POLLERR | POLLHUP)))
		http_send(l);
	else if (w->http_sent && (revents & (POLLIN | POLLERR | POLLHUP)))
		http_receive(w);
}

/* ---- driving them ---- */

/* Starts what is due, ends what ran out of time. */
static void advance(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;
	double now = now_seconds();

	if (w->log_pattern && w->inotify < 0)
		log_scan(w);
	if (w->cmd_pid && w->cmd_reaped)
		cmd_finish(w);
	if (w->begun && w->cmd && !w->cmd_done && !w->cmd_pid && now >= w->cmd_next)
		cmd_begin(l);
	if (w->begun && w->http_path && !w->http_done) {
		if (w->http_fd >= 0 && now >= w->http_deadline) {
			char limit[32];

			snprintf(limit, sizeof limit, "%g s", HTTP_ATTEMPT);
			http_fail(w, "no answer within %s", limit);
		}
		if (w->http_fd < 0 && now >= w->http_next)
			http_begin(l);
	}
	rearm(w);
}

static bool all_done(const struct launch_wait *w)
{
	return (!w->log_pattern || w->log_done) && (!w->cmd || w->cmd_done) &&
	       (!w->http_path || w->http_done);
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
		log_scan(w);
	}
	if (p[1].fd >= 0 && p[1].fd == w->cmd_out && p[1].revents)
		cmd_read(w);
	if (p[2].fd >= 0 && p[2].fd == w->http_fd && p[2].revents)
		http_event(l, p[2].revents);
	if (p[3].revents & POLLIN) {
		uint64_t expired;

		if (read(w->timer, &expired, sizeof expired) < 0 && errno != EAGAIN)
			return;
	}
	advance(l);
}

static size_t append(char *out, size_t cap, size_t used, const char *fmt, const char *a,
		     const char *b)
{
	int n;

	if (used >= cap)
		return used;
	n = snprintf(out + used, cap - used, fmt, used ? "; " : "", a, b);
	return n > 0 ? used + (size_t)n : used;
}

void wait_describe(const struct launch_state *l, char *out, size_t cap)
{
	const struct launch_wait *w = &l->wait;
	size_t used = 0;

	out[0] = '\0';
	if (w->log_pattern && !w->log_done)
		used = append(out, cap, used, w->log_last[0] ? "%s--wait-log '%s': no line matched; the last: \"%s\""
							     : "%s--wait-log '%s': no line matched%s",
			      w->log_pattern, w->log_last);
	if (w->cmd && !w->cmd_done) {
		char running[2 * WAIT_LAST], said[WAIT_LAST];

		last_line(w->cmd_output, w->cmd_output_len, said, sizeof said);
		snprintf(running, sizeof running, said[0] ? "the last attempt was still running, having printed \"%s\""
							  : "the last attempt was still running%s", said);
		used = append(out, cap, used, "%s--wait-cmd: %s%s",
			      w->cmd_pid ? running : w->cmd_last[0] ? w->cmd_last : "never ran", "");
	}
	if (w->http_path && !w->http_done)
		append(out, cap, used, "%s--wait-http %s: %s", w->http_path,
		       w->http_fd >= 0 && !w->http_last[0] ? "no answer yet"
							   : w->http_last[0] ? w->http_last : "never tried");
}

void wait_cancel(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;

	if (!wait_wanted(w))
		return;
	if (w->cmd_pid > 0) {
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
#undef CLOSE
}
