/* A bind that signals keep interrupting, as Go's preemption (SIGURG) does: another thread
 * sends SIGUSR1 (handled, SA_RESTART) to the binding thread every millisecond meanwhile.
 *   signalled_bind PORT   prints "LISTEN 127.0.0.1 PORT SIGNALS" and exits 0 once listening. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PESTER_MS 500

static volatile sig_atomic_t signals;
static volatile sig_atomic_t done;
static pid_t binder;

static void count(int sig)
{
	(void)sig;
	signals++;
}

static void *pester(void *arg)
{
	(void)arg;
	for (int i = 0; i < PESTER_MS && !done; i++) {
		syscall(SYS_tgkill, getpid(), binder, SIGUSR1);
		usleep(1000);
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = count, .sa_flags = SA_RESTART };
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(in);
	pthread_t thread;
	int fd, rc;

	if (argc != 2)
		return 2;
	in.sin_port = htons((uint16_t)atoi(argv[1]));
	sigaction(SIGUSR1, &sa, NULL);
	binder = (pid_t)syscall(SYS_gettid);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || pthread_create(&thread, NULL, pester, NULL) != 0)
		return 1;
	usleep(5000); /* the signals are flowing before the bind starts */
	rc = bind(fd, (struct sockaddr *)&in, sizeof(in));
	if (rc == 0)
		rc = listen(fd, 8);
	if (rc < 0) {
		fprintf(stderr, "signalled_bind: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	getsockname(fd, (struct sockaddr *)&in, &len);
	printf("LISTEN 127.0.0.1 %u %d\n", ntohs(in.sin_port), (int)signals);
	done = 1;
	pthread_join(thread, NULL);
	close(fd);
	return 0;
}
