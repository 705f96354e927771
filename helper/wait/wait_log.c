/* --wait-log: the server's log, followed with inotify from its first byte, each complete
 * line matched against the extended regular expression. */
#include <fcntl.h>
#include <regex.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

#define LOG_CHUNKS 256      /* 4 KiB reads per wake-up; more is read on the next */

static void log_line_done(struct launch_wait *w)
{
	w->line[w->line_len] = '\0';
	if (w->line_len) {
		wait_printable(w->log_last, sizeof w->log_last, w->line, w->line_len);
		if (regexec(&w->log_re, w->line, 0, NULL, 0) == 0)
			w->log_done = true;
	}
	w->line_len = 0;
}

/* Reads what the log gained since last time and matches its complete lines. */
void wait_log_scan(struct launch_wait *w)
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
			else if (w->line_len + 1 < sizeof w->line) /* a longer one: its start */
				w->line[w->line_len++] = buf[i];
		}
	}
}

int wait_log_open(struct launch_wait *w, const char *log)
{
	w->log_fd = open(log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (w->log_fd < 0)
		return -1;
	w->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->inotify >= 0 && inotify_add_watch(w->inotify, log, IN_MODIFY) < 0) {
		close(w->inotify); /* out of watches: read it on the timer instead */
		w->inotify = -1;
	}
	wait_log_scan(w);
	return 0;
}
