/* The main thread exits (pthread_exit) before a second thread binds and listens: the
 * notifying thread is then not its thread group's leader, and the leader is a zombie.
 *   leader_exit PORT [SECONDS]   prints "LISTEN PORT" once listening, then serves that long. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int port, hold = 3;

static void *worker(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	usleep(200000); /* the leader has exited by now */
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
		perror("leader_exit: bind/listen");
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)&a, &len);
	printf("LISTEN %d\n", ntohs(a.sin_port));
	fflush(stdout);
	sleep((unsigned)hold);
	exit(0);
}

int main(int argc, char *argv[])
{
	pthread_t t;

	if (argc < 2)
		return 2;
	port = atoi(argv[1]);
	if (argc > 2)
		hold = atoi(argv[2]);
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	pthread_exit(NULL);
}
