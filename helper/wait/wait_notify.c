/* --wait-notify: systemd's readiness protocol (sd_notify(3)). The supervisor binds a datagram
 * socket in the abstract namespace under a name nobody can guess and gives it to the server
 * as NOTIFY_SOCKET; the wait holds once READY=1 arrives from a process of the launch's tree.
 * The name is no secret (/proc/net/unix lists it), so every message's sender is checked
 * against the tree, by the credentials the kernel attaches (SCM_CREDENTIALS, and SCM_PIDFD
 * where it has it), and a message from anyone else is dropped. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "launch.h"

/* pidfd's PIDFD_GET_INFO (Linux 6.13; for an exited process, 6.16): its first version. */
struct pidfd_info0 {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#define PIDFD_GET_INFO0 _IOWR(0xFF, 11, struct pidfd_info0)
#define PIDFD_INFO_CGROUPID (1UL << 2)
#define PIDFD_INFO_EXIT (1UL << 3)

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76 /* Linux 6.5; older C libraries lack the names */
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

#define NOTIFY_ENV "NOTIFY_SOCKET"
#define NOTIFY_BURST 64   /* datagrams read per wake-up: a flood from outside cannot hold the loop */
#define NOTIFY_MESSAGE 4096 /* sd_notify's messages are a few short lines; a longer one is cut */
#define NOTIFY_FDS 16     /* FDSTORE=1 may come with descriptors: room to take and close them */

int wait_notify_open(struct launch_wait *w)
{
	unsigned char random[8];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int on = 1;

	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		return -1;
	snprintf(w->notify_name, sizeof w->notify_name,
		 "@epr-notify-%d-%02x%02x%02x%02x%02x%02x%02x%02x", (int)getpid(), random[0],
		 random[1], random[2], random[3], random[4], random[5], random[6], random[7]);
	/* The abstract namespace: sun_path starts with a NUL where NOTIFY_SOCKET says '@'. */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(w->notify_name));
	memcpy(sun.sun_path + 1, w->notify_name + 1, strlen(w->notify_name) - 1);
	w->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->notify_fd < 0)
		return -1;
	if (setsockopt(w->notify_fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
	    bind(w->notify_fd, (struct sockaddr *)&sun, len) != 0 ||
	    setenv(NOTIFY_ENV, w->notify_name, 1) != 0) {
		int err = errno;

		close(w->notify_fd);
		w->notify_fd = -1;
		errno = err;
		return -1;
	}
	/* A pidfd of the sender, where the kernel has it: a pid reused since cannot pass. */
	setsockopt(w->notify_fd, SOL_SOCKET, SO_PASSPIDFD, &on, sizeof on);
	return 0;
}

/* Whether the sender of the message whose control data is msg belongs to the tree; its pid
 * into *pid. Descriptors that came with it are closed. */
static bool sender_ours(struct msghdr *msg, pid_t *pid)
{
	int pidfd = -1;
	bool ok;

	*pid = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof cred);
			*pid = cred.pid;
		} else if (c->cmsg_type == SCM_PIDFD && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&pidfd, CMSG_DATA(c), sizeof pidfd);
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
				close(fd);
			}
		}
	}
	ok = *pid > 0 && tree_contains(*pid);
	if (pidfd < 0)
		return ok; /* before Linux 6.5: the pid number alone */
	/* Not reaped after the check (a zombie still holds its pid): the pid was the sender's
	 * own throughout, not one reused by a process of the tree since. */
	ok = ok && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
	if (!ok) { /* a sender reaped already (systemd-notify exits at once): where it was */
		struct pidfd_info0 info = { .mask = PIDFD_INFO_CGROUPID | PIDFD_INFO_EXIT };

		ok = ioctl(pidfd, PIDFD_GET_INFO0, &info) == 0 && (info.mask & PIDFD_INFO_EXIT) &&
		     (info.mask & PIDFD_INFO_CGROUPID) && tree_held_cgroup(info.cgroupid);
	}
	close(pidfd);
	return ok;
}

/* The last STATUS=, for messages: "; the last STATUS: \"...\"", or "". */
static void status_note(const struct launch_wait *w, char *out, size_t cap)
{
	if (w->notify_status[0])
		snprintf(out, cap, "; the last STATUS: \"%s\"", w->notify_status);
	else
		out[0] = '\0';
}

/* MAINPID=n: EPR_PID from now on, when n is a process of the tree. */
static void main_pid(struct launch_state *l, const char *value)
{
	struct launch_wait *w = &l->wait;
	char *end;
	long pid;

	errno = 0;
	pid = strtol(value, &end, 10);
	if (errno || end == value || *end || pid <= 1 || (pid_t)pid != pid || !tree_contains((pid_t)pid)) {
		if (l->options->verbose)
			cli_warn("%s: ignored MAINPID=%s: not a process of the launch", l->name, value);
		return;
	}
	if (w->notify_mainpid == (pid_t)pid)
		return;
	w->notify_mainpid = (pid_t)pid;
	if (l->options->verbose)
		cli_warn("%s: MAINPID=%ld: EPR_PID from now on", l->name, pid);
	/* Once the env file exists, it says so at once; else the first listen writes it. */
	if (l->n_exports && launch_write_env(l) != 0)
		snprintf(w->failed, sizeof w->failed, "named MAINPID=%ld, but the env file %s could "
			 "not be written: %s", pid, l->options->env_file, strerror(errno));
}

/* ERRNO=n: the server says it failed. */
static void server_errno(struct launch_state *l, const char *value)
{
	struct launch_wait *w = &l->wait;
	char note[WAIT_LAST + 32];
	char *end;
	long err;

	errno = 0;
	err = strtol(value, &end, 10);
	if (errno || end == value || *end || err <= 0 || err > 4095)
		return; /* 0 or no number: nothing failed */
	status_note(w, note, sizeof note);
	snprintf(w->failed, sizeof w->failed, "said ERRNO=%ld (%s) before it was ready%s; stopping it",
		 err, strerror((int)err), note);
}

/* One datagram: newline-separated VARIABLE=VALUE assignments, in order. */
static void message(struct launch_state *l, char *text, size_t len)
{
	struct launch_wait *w = &l->wait;
	char *line = text, *next;

	text[len] = '\0';
	for (; line < text + len; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (strcmp(line, "READY=1") == 0) {
			w->notify_done = true;
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			wait_printable(w->notify_status, sizeof w->notify_status, line + 7, strlen(line + 7));
			if (l->options->verbose)
				cli_warn("%s: STATUS=%s", l->name, w->notify_status);
		} else if (strncmp(line, "MAINPID=", 8) == 0) {
			main_pid(l, line + 8);
		} else if (strncmp(line, "ERRNO=", 6) == 0) {
			server_errno(l, line + 6);
		}
	}
}

void wait_notify_receive(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;

	for (int i = 0; i < NOTIFY_BURST && w->notify_fd >= 0 && !w->failed[0]; i++) {
		char text[NOTIFY_MESSAGE + 1];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
				 CMSG_SPACE(NOTIFY_FDS * sizeof(int))];
		} control;
		struct iovec iov = { text, NOTIFY_MESSAGE };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
				      .msg_controllen = sizeof control.buf };
		ssize_t n = recvmsg(w->notify_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		pid_t sender;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: all read */
		}
		if (!sender_ours(&msg, &sender)) {
			if (l->options->verbose)
				cli_warn("%s: ignored a message on NOTIFY_SOCKET from pid %d, not a process "
					 "of the launch", l->name, (int)sender);
			continue;
		}
		message(l, text, (size_t)n);
	}
}

bool wait_notify_missing(struct launch_state *l)
{
	struct launch_wait *w = &l->wait;

	if (!w->notify || w->notify_done)
		return false;
	wait_notify_receive(l); /* what was sent before it exited counts */
	return !w->notify_done && !w->notify_mainpid;
}

void wait_notify_exited(struct launch_state *l, const char *how)
{
	char note[WAIT_LAST + 32];

	status_note(&l->wait, note, sizeof note);
	snprintf(l->wait.failed, sizeof l->wait.failed, "%s before READY=1%s", how, note);
}

void wait_notify_describe(const struct launch_wait *w, char *out, size_t cap)
{
	char note[WAIT_LAST + 32];

	status_note(w, note, sizeof note);
	snprintf(out, cap, "--wait-notify: no READY=1 from the server (" NOTIFY_ENV "=%s)%s",
		 w->notify_name, note);
}
