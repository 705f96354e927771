/* A server that speaks systemd's notify protocol (sd_notify) to $NOTIFY_SOCKET, for
 * tests/wait_notify.bats: it runs its steps in order, then stays up until SIGTERM.
 *   listen:PORT      listen on 127.0.0.1:PORT (a sentinel, which epr rewrites)
 *   send:TEXT        one datagram of TEXT, '|' standing for a newline: send:STATUS=x|READY=1
 *   ready            READY=1;  status:TEXT  STATUS=TEXT;  errno:N  ERRNO=N
 *   mainpid:N        MAINPID=N
 *   mainpid:child    fork a child that stays up, print "CHILD <pid>", send MAINPID=<pid>
 *   name:FILE        write $NOTIFY_SOCKET into FILE
 *   await:FILE       wait until FILE exists (bounded: 30 s)
 *   sleep:MS         sleep MS milliseconds
 *   exit:N           exit with status N at once
 * Every line it prints is flushed at once, for the log. A send that fails exits 99. */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void notify(const char *text)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char message[1024];
	socklen_t len;
	int fd;

	if (!name || !*name || strlen(name) >= sizeof sun.sun_path) {
		printf("NO NOTIFY_SOCKET\n");
		exit(99);
	}
	memcpy(sun.sun_path, name, strlen(name));
	if (name[0] == '@')
		sun.sun_path[0] = '\0'; /* the abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	snprintf(message, sizeof message, "%s", text);
	for (char *bar = strchr(message, '|'); bar; bar = strchr(bar, '|'))
		*bar = '\n';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, message, strlen(message), 0, (struct sockaddr *)&sun, len) < 0) {
		printf("SEND FAILED %s: %s\n", text, strerror(errno));
		exit(99);
	}
	close(fd);
	printf("SENT %s\n", text);
}

static void listen_on(const char *port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static int fd = -1; /* held for the program's life: it serves until SIGTERM */
	int on = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof in) != 0 || listen(fd, 16) != 0) {
		printf("LISTEN FAILED %s: %s\n", port, strerror(errno));
		exit(98);
	}
	printf("LISTENING %s\n", port);
}

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

static void main_pid_child(void)
{
	char text[64];
	pid_t child = fork();

	if (child < 0) {
		printf("FORK FAILED: %s\n", strerror(errno));
		exit(97);
	}
	if (child == 0) {
		for (;;)
			pause();
	}
	printf("CHILD %d\n", (int)child);
	snprintf(text, sizeof text, "MAINPID=%d", (int)child);
	notify(text);
}

int main(int argc, char *argv[])
{
	char text[1100];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *step = argv[i], *arg = strchr(step, ':');

		arg = arg ? arg + 1 : "";
		if (strncmp(step, "listen:", 7) == 0) {
			listen_on(arg);
		} else if (strncmp(step, "send:", 5) == 0) {
			notify(arg);
		} else if (strcmp(step, "ready") == 0) {
			notify("READY=1");
		} else if (strncmp(step, "status:", 7) == 0 || strncmp(step, "errno:", 6) == 0 ||
			   (strncmp(step, "mainpid:", 8) == 0 && strcmp(arg, "child") != 0)) {
			snprintf(text, sizeof text, "%s=%s", step[0] == 's' ? "STATUS" : step[0] == 'e'
				 ? "ERRNO" : "MAINPID", arg);
			notify(text);
		} else if (strcmp(step, "mainpid:child") == 0) {
			main_pid_child();
		} else if (strncmp(step, "name:", 5) == 0) {
			FILE *f = fopen(arg, "w");

			if (!f || fprintf(f, "%s\n", getenv("NOTIFY_SOCKET") ? getenv("NOTIFY_SOCKET") : "")
			    < 0 || fclose(f) != 0)
				exit(96);
		} else if (strncmp(step, "await:", 6) == 0) {
			for (int tenths = 0; access(arg, F_OK) != 0 && tenths < 300; tenths++)
				pause_ms(100);
		} else if (strncmp(step, "sleep:", 6) == 0) {
			pause_ms(atol(arg));
		} else if (strncmp(step, "exit:", 5) == 0) {
			printf("EXIT %s\n", arg);
			exit(atoi(arg));
		} else {
			fprintf(stderr, "notify_speaker: unknown step '%s'\n", step);
			return 2;
		}
	}
	for (;;)
		pause();
}
