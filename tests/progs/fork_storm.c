/* fork() while other threads are inside the rewritten bind(): every child must be able to
 * bind (and so take the shim's lock) and exit. Prints "FORKS <ok> <hung> <failed>".
 *   fork_storm THREADS FORKS
 * Each bind leaves a port in TIME_WAIT for 60 s: the binder threads stop after BINDS_MAX
 * binds each, and the tests run this in a private network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BINDS_MAX 150

static volatile int stop;

static int bind_and_close(uint16_t port)
{
	struct sockaddr_in in;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons(port);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(fd, (struct sockaddr *)&in, sizeof(in));
	if (rc == 0)
		rc = listen(fd, 1);
	close(fd);
	return rc;
}

static void *binder(void *arg)
{
	uint16_t port = (uint16_t)(uintptr_t)arg;

	for (int i = 0; i < BINDS_MAX && !stop; i++)
		bind_and_close(port);
	return NULL;
}

/* Waits for child pid at most 5 s; 0 if it exited 0, 1 if it hung (then killed), 2 else. */
static int reap(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		int status;
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 2;
		struct timespec ten_ms = { 0, 10000000 };
		nanosleep(&ten_ms, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 1;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4, forks = argc > 2 ? atoi(argv[2]) : 100;
	int counts[3] = { 0, 0, 0 };
	pthread_t tid[64];

	if (threads > 64)
		threads = 64;
	for (int t = 0; t < threads; t++) /* half on port 0, half on sentinel 3306 */
		pthread_create(&tid[t], NULL, binder, (void *)(uintptr_t)(t % 2 ? 3306 : 0));
	for (int f = 0; f < forks; f++) {
		pid_t pid = fork();
		/* a parent thread may hold the sentinel's port: EADDRINUSE is an answer, a hang is not */
		if (pid == 0)
			_exit(bind_and_close(0) == 0 && (bind_and_close(3306) == 0 || errno == EADDRINUSE) ? 0 : 1);
		counts[pid < 0 ? 2 : reap(pid)]++;
	}
	stop = 1;
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	printf("FORKS %d %d %d\n", counts[0], counts[1], counts[2]);
	return counts[0] == forks ? 0 : 1;
}
