/* Helpers shared by the benchmark drivers: clocks and medians (stats.c), a private network
 * namespace (netns.c), and commands given as [NAME=VALUE...] PROG [ARG...] (command.c). */
#ifndef EPR_BENCH_H
#define EPR_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

/* The q-quantile (0..1) of v[0..n), nearest rank; sorts v. 0 when n is 0. */
uint64_t quantile(uint64_t *v, size_t n, double q);

/* Prints "prog: message" on stderr and exits 1 (the drivers are stand-alone programs). */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* Moves this process into a fresh network namespace with loopback up and the host's
 * ip_local_port_range, so that its TIME_WAIT sockets touch nothing outside. Dies on error. */
void netns_enter(void);

struct command {
	char **argv; /* NULL-terminated */
	char **envp; /* environ plus the leading NAME=VALUE words */
};

/* Splits words[0..n) into a command; the words must outlive it. Dies on an empty one. */
void command_parse(struct command *c, char **words, int n);

#endif
