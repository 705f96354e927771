/* The end of a server's log, shown when it failed to start. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Enough for the last lines of any sane log; older bytes are not read. */
#define TAIL_BYTES 16384

void log_tail(const char *path, const char *label, int lines)
{
	static char buf[TAIL_BYTES + 1];
	/* O_NONBLOCK: a FIFO in the log's place must not hang the failure's message. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	off_t from;
	ssize_t n;
	char *start, *line;

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	from = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
	n = pread(fd, buf, TAIL_BYTES, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* Walk back over lines newlines; start is then the first line to show. */
	start = buf + n;
	while (start > buf && lines > 0) {
		start--;
		if (*start == '\n' && --lines == 0) {
			start++;
			break;
		}
	}
	if (from > 0 && start == buf) {
		char *first = strchr(buf, '\n');
		start = first ? first + 1 : buf; /* drop a line cut in half */
	}
	fprintf(stderr, "epr: the end of %s:\n", label);
	for (line = strtok(start, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "  %s\n", line);
}
