/* Listens on a unix socket, says who it is, and serves one client; the client checks the
 * server's SO_PEERCRED against that.   unix_server PATH */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), c;

	if (argc != 2 || fd < 0)
		return 2;
	strncpy(a.sun_path, argv[1], sizeof(a.sun_path) - 1);
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
		perror("unix_server: bind/listen");
		close(fd);
		return 1;
	}
	printf("server pid %d uid %d\n", (int)getpid(), (int)getuid());
	fflush(stdout);
	c = accept(fd, NULL, NULL);
	sleep(1);
	close(c);
	close(fd);
	return 0;
}
