/* A pre-forking server: K workers each bind one port (SO_REUSEPORT) and listen, printing
 * "LISTEN 127.0.0.1 PORT PID".
 *   fork_bind K PORT [SECONDS]   workers stay up SECONDS (default 3); exits 0 if all did. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 16

static int worker(unsigned short port, unsigned seconds)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&in, &len) < 0) {
		fprintf(stderr, "fork_bind[%d]: %s\n", (int)getpid(), strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	printf("LISTEN 127.0.0.1 %u %d\n", ntohs(in.sin_port), (int)getpid());
	fflush(stdout);
	sleep(seconds);
	close(fd);
	return 0;
}

int main(int argc, char *argv[])
{
	int k, failed = 0, status;
	unsigned seconds;

	if (argc < 3)
		return 2;
	k = atoi(argv[1]);
	seconds = argc > 3 ? (unsigned)atoi(argv[3]) : 3;
	if (k < 1 || k > MAX_WORKERS)
		return 2;
	fflush(stdout);
	for (int i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(worker((unsigned short)atoi(argv[2]), seconds));
	}
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	return failed ? 1 : 0;
}
