/* Eight threads bind one port at once (each socket with SO_REUSEPORT, as the kernel requires
 * for sharing it), then each listens and prints "LISTEN 127.0.0.1 PORT".
 *   threads_bind PORT [SECONDS]   stays up SECONDS (default 3), then exits 0 if all listened. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 8

static pthread_barrier_t start;
static unsigned short wanted;
static int sockets[THREADS]; /* kept open until main() closes them: the listeners live on */

static void *bind_one(void *arg)
{
	int *slot = arg;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(wanted),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	*slot = fd;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		pthread_barrier_wait(&start);
		return (void *)1;
	}
	pthread_barrier_wait(&start);
	if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&in, &len) < 0) {
		fprintf(stderr, "threads_bind: %s\n", strerror(errno));
		return (void *)1;
	}
	printf("LISTEN 127.0.0.1 %u\n", ntohs(in.sin_port));
	fflush(stdout);
	return NULL;
}

int main(int argc, char *argv[])
{
	pthread_t threads[THREADS];
	int failed = 0;

	if (argc < 2)
		return 2;
	wanted = (unsigned short)atoi(argv[1]);
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&threads[i], NULL, bind_one, &sockets[i]) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++) {
		void *rc;

		pthread_join(threads[i], &rc);
		failed += rc != NULL;
	}
	sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 3);
	for (int i = 0; i < THREADS; i++)
		if (sockets[i] >= 0)
			close(sockets[i]);
	return failed ? 1 : 0;
}
