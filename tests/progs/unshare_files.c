/* A thread with a file table of its own (unshare(CLONE_FILES)) binds and listens on its
 * socket, whose number is also that of another, unbound socket in the leader's table.
 *   unshare_files PORT [SECONDS]   prints what each socket is, then stays that long. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int port, leader_fd, shown[2];
static unsigned hold;

static void show(const char *who, int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a), alen = sizeof(int);
	int accepting = 0;

	getsockname(fd, (struct sockaddr *)&a, &len);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen);
	printf("%s fd %d: port %d listening %d\n", who, fd, ntohs(a.sin_port), accepting);
}

static void *worker(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd, b, l;

	(void)arg;
	if (unshare(CLONE_FILES) < 0) {
		perror("unshare_files: unshare");
		exit(1);
	}
	close(leader_fd); /* in this thread's own table only */
	fd = socket(AF_INET, SOCK_STREAM, 0); /* the same number as the leader's socket */
	a.sin_port = htons((uint16_t)port);
	b = bind(fd, (struct sockaddr *)&a, sizeof(a));
	l = listen(fd, 8);
	printf("thread: bind=%d listen=%d\n", b, l);
	show("thread", fd);
	fflush(stdout);
	/* The socket lives in this thread's table only: it stays open while the thread lives. */
	if (write(shown[1], "", 1) != 1)
		exit(1);
	sleep(hold);
	return NULL;
}

int main(int argc, char *argv[])
{
	pthread_t t;
	char byte;

	if (argc < 2)
		return 2;
	port = atoi(argv[1]);
	hold = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	leader_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (pipe(shown) != 0 || pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	if (read(shown[0], &byte, 1) != 1) /* the thread has shown its socket */
		return 1;
	show("leader", leader_fd);
	fflush(stdout);
	pthread_join(t, NULL);
	return 0;
}
