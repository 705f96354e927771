/* A small TCP server for the tests: binds each ADDR:PORT given, listens, and prints what
 * the kernel gave it ("LISTEN <addr> <asked> <port>"), so tests can compare with ss.
 *   -t N  N threads bind every address at once (each prints its lines)
 *   -f N  after listening, fork N workers that each open their own listeners on the
 *         port-0 addresses (the sentinels stay the parent's, as in pre-fork servers)
 *   -r N  bind and close N times without listening, then print "FDS <before> <after>"
 *   -n    bind only, do not listen
 *   -E    lower RLIMIT_NOFILE so that no descriptor is free after each socket()
 *   -s S  stay up S seconds (default 0: exit after listening), or until SIGTERM
 * Exit status 0, or 1 with "ERROR <addr>:<port> <errno name>" on stdout. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ADDRS 16

static struct sockaddr_storage addrs[MAX_ADDRS];
static socklen_t lens[MAX_ADDRS];
static const char *names[MAX_ADDRS];
static int naddrs, do_listen = 1, no_free_fds, failures;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	int port;

	if (!colon || colon - text >= (long)sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	port = atoi(colon + 1);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -1;
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static int open_one(int i)
{
	int fd = socket(addrs[i].ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_storage before = addrs[i];

	if (fd >= 0 && no_free_fds) {
		/* socket() took the lowest free fd: with the limit just above it, none is left */
		struct rlimit lim;
		getrlimit(RLIMIT_NOFILE, &lim);
		lim.rlim_cur = (rlim_t)fd + 1;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	if (fd >= 0 && addrs[i].ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&addrs[i], lens[i]) < 0 ||
	    (do_listen && listen(fd, 16) < 0)) {
		int err = errno;
		pthread_mutex_lock(&out_lock);
		printf("ERROR %s %s\n", names[i], strerrorname_np(err));
		failures++;
		pthread_mutex_unlock(&out_lock);
		fflush(stdout);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (memcmp(&before, &addrs[i], sizeof(before)) != 0) { /* the shim must not write it */
		printf("MUTATED %s\n", names[i]);
		failures++;
	}
	pthread_mutex_lock(&out_lock);
	printf("LISTEN %s %d\n", names[i], port_of(fd));
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	return fd;
}

static int port_asked(int i)
{
	return ntohs(addrs[i].ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addrs[i])->sin6_port
						    : ((struct sockaddr_in *)&addrs[i])->sin_port);
}

static void *open_all(void *only_port_zero)
{
	for (int i = 0; i < naddrs; i++)
		if (!only_port_zero || port_asked(i) == 0)
			open_one(i);
	return NULL;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	int threads = 0, forks = 0, repeat = 0, stay = 0, opt;

	while ((opt = getopt(argc, argv, "t:f:r:nEs:")) != -1) {
		switch (opt) {
		case 't': threads = atoi(optarg); break;
		case 'f': forks = atoi(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		case 'n': do_listen = 0; break;
		case 'E': no_free_fds = 1; break;
		case 's': stay = atoi(optarg); break;
		default: return 2;
		}
	}
	for (; optind < argc && naddrs < MAX_ADDRS; optind++, naddrs++) {
		names[naddrs] = argv[optind];
		if (parse_addr(argv[optind], &addrs[naddrs], &lens[naddrs]) < 0) {
			fprintf(stderr, "listen_server: bad address %s\n", argv[optind]);
			return 2;
		}
	}
	signal(SIGTERM, on_term);
	if (repeat) {
		int before = count_fds();
		do_listen = 0;
		for (int r = 0; r < repeat; r++)
			for (int i = 0; i < naddrs; i++) {
				int fd = socket(addrs[i].ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
				if (bind(fd, (struct sockaddr *)&addrs[i], lens[i]) < 0)
					failures++;
				close(fd);
			}
		printf("FDS %d %d\n", before, count_fds());
		return failures ? 1 : 0;
	}
	if (threads) {
		pthread_t tid[256];
		if (threads > 256)
			threads = 256;
		for (int t = 0; t < threads; t++)
			pthread_create(&tid[t], NULL, open_all, NULL);
		for (int t = 0; t < threads; t++)
			pthread_join(tid[t], NULL);
	} else {
		open_all(NULL);
	}
	for (int f = 0; f < forks; f++) {
		pid_t pid = fork();
		if (pid == 0) {
			failures = 0;
			open_all(&failures);
			if (stay)
				sleep((unsigned)stay);
			_exit(failures ? 1 : 0);
		}
	}
	if (stay)
		sleep((unsigned)stay);
	while (forks-- > 0) {
		int status;
		if (wait(&status) > 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
			failures++;
	}
	return failures ? 1 : 0;
}
