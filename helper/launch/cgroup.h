/* cgroup v2, as far as a launch needs it: a cgroup of its own, made beside nothing else and
 * under the caller's, where CMD starts directly (clone3 CLONE_INTO_CGROUP), which the kernel
 * keeps exact whatever the processes do, which survives a killed supervisor, and which is
 * signalled and killed whole. Every function takes a cgroup directory's path or fd. */
#ifndef EPR_CGROUP_H
#define EPR_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The directory of this process's own cgroup v2 (the mount found in /proc/self/mountinfo,
 * the path in /proc/self/cgroup) into dir, and that path as /proc/PID/cgroup shows it into
 * rel. 0, or an errno: ENOENT when no cgroup2 is mounted. */
int cgroup_own(char *dir, size_t dircap, char *rel, size_t relcap);
/* Makes the cgroup parent/name (mode 0755) and opens it; its fd, or -1 with errno. */
int cgroup_create(const char *parent, const char *name);
/* Opens the cgroup at path; its fd, or -1 with errno. */
int cgroup_open(const char *path);
/* A process forked straight into the cgroup of dirfd (clone3 CLONE_INTO_CGROUP, Linux 5.7
 * or later): fork()'s return value; -1 with errno when the kernel refuses. */
pid_t cgroup_fork_into(int dirfd);
/* 1 while some process is in the cgroup or below, 0 when none is; -1 with errno. */
int cgroup_populated(int dirfd);
/* cgroup_populated(), but not counting the processes in the cgroup child (a directory
 * below dirfd) or below it: 1, 0, or -1 with errno. */
int cgroup_populated_except(int dirfd, const char *child);
/* cgroup.events opened for poll(): POLLPRI (and POLLERR) when "populated" changes. */
int cgroup_events(int dirfd);
/* cgroup_populated() read from that fd, which also acknowledges the change poll saw. */
int cgroup_events_populated(int events);
/* sig, then also sig2 unless 0, to every process of the cgroup, each once, through a pidfd
 * checked to name a member; cgroup.procs is read again until it shows no new member, so a
 * process forked meanwhile is not missed (a SIGKILL is sent in a frozen cgroup, where none
 * forks). Their count, or -1. */
int cgroup_signal(int dirfd, int sig, int sig2);
/* SIGKILL to every process of the cgroup and below, stopped or forking ones too:
 * cgroup.kill (Linux 5.14 or later), else SIGKILL to each in a frozen cgroup. 0, or -1. */
int cgroup_kill(int dirfd);
/* The processes of the cgroup as pidfds into out (each checked to be a member); how many. */
size_t cgroup_pidfds(int dirfd, int *out, size_t cap);
/* Removes the (empty) cgroup at path and any empty cgroups below it. 0, or -1 with errno. */
int cgroup_remove(const char *path);
/* Whether pid is in the cgroup rel (as cgroup_own gives it) or below it. */
bool cgroup_contains(const char *rel, pid_t pid);

#endif
