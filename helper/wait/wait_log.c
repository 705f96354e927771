/* --wait-log: the server's log, followed with inotify from its first byte, each complete
 * line matched against the extended regular expression. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

#define LOG_CHUNKS 256      /* 4 KiB reads per scan; a scan that stops there is followed by
			     * another at once, from the poll loop */

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

/* Keeps the first WAIT_LOG_PROBE bytes of the log and the last ones read, n bytes of buf
 * read at offset at. */
static void remember(struct launch_wait *w, const char *buf, size_t n, off_t at)
{
	size_t keep;

	if (at < WAIT_LOG_PROBE) {
		size_t k = n < WAIT_LOG_PROBE - (size_t)at ? n : WAIT_LOG_PROBE - (size_t)at;

		memcpy(w->log_head + at, buf, k);
		w->log_head_len = (size_t)at + k;
	}
	if (n >= WAIT_LOG_PROBE) {
		memcpy(w->log_tail, buf + n - WAIT_LOG_PROBE, WAIT_LOG_PROBE);
		w->log_tail_len = WAIT_LOG_PROBE;
		return;
	}
	keep = w->log_tail_len < WAIT_LOG_PROBE - n ? w->log_tail_len : WAIT_LOG_PROBE - n;
	memmove(w->log_tail, w->log_tail + w->log_tail_len - keep, keep);
	memcpy(w->log_tail + keep, buf, n);
	w->log_tail_len = keep + n;
}

/* Whether the bytes at len, off are still those in kept. */
static bool same(int fd, const char *kept, size_t len, off_t off)
{
	char now[WAIT_LOG_PROBE];

	return pread(fd, now, len, off) == (ssize_t)len && memcmp(now, kept, len) == 0;
}

/* Whether the log was truncated since the last scan. Its size alone cannot tell when the
 * server wrote past the old end again before this scan (one inotify event stands for all
 * of it), so the first bytes and the last ones read are compared as well. */
static bool truncated(const struct launch_wait *w)
{
	struct stat st;

	if (!w->log_offset)
		return false;
	if (fstat(w->log_fd, &st) == 0 && st.st_size < w->log_offset)
		return true;
	return !same(w->log_fd, w->log_head, w->log_head_len, 0) ||
	       !same(w->log_fd, w->log_tail, w->log_tail_len, w->log_offset - (off_t)w->log_tail_len);
}

/* Reads what the log gained since last time and matches its complete lines. */
void wait_log_scan(struct launch_wait *w)
{
	char buf[4096];
	int chunk;

	w->log_more = false;
	if (w->log_fd < 0 || w->log_done)
		return;
	if (truncated(w)) {
		w->log_offset = 0; /* read it again */
		w->line_len = w->log_head_len = w->log_tail_len = 0;
	}
	for (chunk = 0; chunk < LOG_CHUNKS && !w->log_done; chunk++) {
		ssize_t n = pread(w->log_fd, buf, sizeof buf, w->log_offset);

		if (n <= 0)
			return;
		remember(w, buf, (size_t)n, w->log_offset);
		w->log_offset += n;
		for (ssize_t i = 0; i < n && !w->log_done; i++) {
			if (buf[i] == '\n')
				log_line_done(w);
			else if (w->line_len + 1 < sizeof w->line) /* a longer one: its start */
				w->line[w->line_len++] = buf[i];
		}
	}
	/* Stopped at the cap: inotify says nothing of what is already written. */
	w->log_more = !w->log_done;
}

int wait_log_open(struct launch_wait *w, const char *log)
{
	struct stat st;

	/* O_NONBLOCK: a FIFO put in the log's place must not hang the supervisor. */
	w->log_fd = open(log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (w->log_fd < 0)
		return -1;
	if (fstat(w->log_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(w->log_fd);
		w->log_fd = -1;
		errno = EINVAL; /* not a regular file */
		return -1;
	}
	w->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->inotify >= 0 && inotify_add_watch(w->inotify, log, IN_MODIFY) < 0) {
		close(w->inotify); /* out of watches: read it on the timer instead */
		w->inotify = -1;
	}
	wait_log_scan(w);
	return 0;
}
