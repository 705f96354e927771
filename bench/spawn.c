/* Whole-process cost: fork, exec and wait for each command, interleaved round by round,
 * and report the median wall time and peak RSS of each, and its paired ratio to the first.
 *   spawn [-r ROUNDS] [-w WARMUP] [-N] -- NAME [VAR=VAL...] PROG [ARG...] [-- NAME ...]
 * -N runs everything in a fresh network namespace. Output, one line per command:
 *   NAME MEDIAN_US P10_US P90_US RSS_KB RATIO RSS_RATIO
 * RATIO is the median over rounds of (this command's time / the first command's time) in
 * the same round, so that slow phases of a noisy host cancel out. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_VARIANTS 8

struct variant {
	const char *name;
	struct command cmd;
	uint64_t *ns, *rss;
};

/* Runs one command to completion: its wall time in ns and peak RSS in KiB. */
static void run_once(const struct variant *v, int devnull, uint64_t *ns, uint64_t *rss)
{
	struct rusage ru;
	uint64_t t0 = now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %m");
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		execve(v->cmd.argv[0], v->cmd.argv, v->cmd.envp);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		die("wait4: %m");
	*ns = now_ns() - t0;
	*rss = (uint64_t)ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s (%s) failed: status %#x", v->name, v->cmd.argv[0], status);
}

static double ratio_median(const uint64_t *a, const uint64_t *base, int n)
{
	uint64_t *r = malloc(sizeof(uint64_t) * (size_t)n);

	for (int i = 0; i < n; i++)
		r[i] = base[i] ? a[i] * 1000000 / base[i] : 0;
	double q = (double)quantile(r, (size_t)n, 0.5) / 1e6;
	free(r);
	return q;
}

int main(int argc, char *argv[])
{
	struct variant v[MAX_VARIANTS];
	int rounds = 100, warmup = 3, nv = 0, opt, in_netns = 0;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	while ((opt = getopt(argc, argv, "r:w:N")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else if (opt == 'N')
			in_netns = 1;
		else
			return 2;
	}
	for (int i = optind; i < argc;) {
		int end;

		if (strcmp(argv[i], "--") == 0)
			i++;
		for (end = i; end < argc && strcmp(argv[end], "--") != 0; end++)
			;
		if (end - i < 2 || nv == MAX_VARIANTS)
			die("usage: spawn [-r N] [-w N] [-N] -- NAME [VAR=VAL...] PROG [ARG...] [-- ...]");
		v[nv].name = argv[i];
		command_parse(&v[nv].cmd, argv + i + 1, end - i - 1);
		v[nv].ns = calloc((size_t)rounds, sizeof(uint64_t));
		v[nv].rss = calloc((size_t)rounds, sizeof(uint64_t));
		nv++;
		i = end;
	}
	if (nv == 0 || rounds < 1 || devnull < 0)
		die("nothing to run");
	if (in_netns)
		netns_enter();
	for (int r = -warmup; r < rounds; r++) {
		for (int k = 0; k < nv; k++) {
			/* rotate the order so that no command always follows the same one */
			int i = (k + (r < 0 ? 0 : r)) % nv;
			uint64_t ns, rss;

			run_once(&v[i], devnull, &ns, &rss);
			if (r >= 0) {
				v[i].ns[r] = ns;
				v[i].rss[r] = rss;
			}
		}
	}
	for (int i = 0; i < nv; i++) {
		double ratio = ratio_median(v[i].ns, v[0].ns, rounds);
		double rss_ratio = ratio_median(v[i].rss, v[0].rss, rounds);
		uint64_t *ns = v[i].ns;

		printf("%s %.1f %.1f %.1f %llu %.3f %.3f\n", v[i].name,
		       (double)quantile(ns, (size_t)rounds, 0.5) / 1e3,
		       (double)quantile(ns, (size_t)rounds, 0.1) / 1e3,
		       (double)quantile(ns, (size_t)rounds, 0.9) / 1e3,
		       (unsigned long long)quantile(v[i].rss, (size_t)rounds, 0.5), ratio, rss_ratio);
	}
	return 0;
}
