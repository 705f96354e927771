/* helper/seccomp/seccomp_filter.c and common/seccomp_bpf.c: the program answers each call as
 * seccomp_bpf.h says (run here by a small interpreter of the instructions it uses), the
 * listener reaches the supervisor, a second one is refused with EBUSY and a reason, the
 * probe tells a filtered process, and a child that sends none is told apart. Each install
 * runs in a child, since a filter cannot be removed. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "fd_pass.h"
#include "seccomp_bpf.h"
#include "seccomp_notify.h"
#include "tap.h"

#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

/* What the program answers for a call nr of architecture arch with arguments args. Only the
 * instructions it is made of are known: another one fails the test. */
static uint32_t run(const struct sock_filter *insns, size_t n, uint32_t arch, uint32_t nr,
		    const uint64_t args[6])
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	uint32_t a = 0;

	memcpy(d.args, args, sizeof(d.args));
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &insns[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k + 4 > sizeof(d) || i->k % 4)
				return 0xdeadbeef;
			memcpy(&a, (const char *)&d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return 0xdeadbeef;
		}
	}
	return 0xdeadbeef; /* ran off the end: the kernel would refuse the program */
}

static void check_program(void)
{
	static const uint64_t none[6], probe[6] = { EPR_FILTER_PROBE_FD, 0, EPR_FILTER_PROBE_LEN };
	static const uint64_t probe_fd_only[6] = { EPR_FILTER_PROBE_FD, 0, 16 };
	static const uint64_t dest_low[6] = { 3, 0x1000, 5, 0, 0x7ffd1000, 16 };
	static const uint64_t dest_high[6] = { 3, 0x1000, 5, 0, 0x700000000000ull, 16 };
	static const uint64_t len_only[6] = { 3, 0x1000, 5, 0, 0, 16 };
	struct sock_filter insns[EPR_FILTER_MAX_INSNS];
	size_t n = seccomp_bpf_program(insns, EPR_FILTER_MAX_INSNS);
	uint32_t native = seccomp_bpf_native_arch(), refused = SECCOMP_RET_ERRNO | EPERM;
	bool last_is_ret = true;

	ok(n > 0 && n <= EPR_FILTER_MAX_INSNS, "the program fits in %d instructions (%zu)",
	   EPR_FILTER_MAX_INSNS, n);
	is_int(insns[0].code, BPF_LD | BPF_W | BPF_ABS, "it begins by loading the architecture");
	is_int(insns[0].k, offsetof(struct seccomp_data, arch), "  (seccomp_data.arch)");
	for (size_t i = 0; i < n; i++) {
		if (BPF_CLASS(insns[i].code) == BPF_JMP && i + 1 + insns[i].jt >= n)
			last_is_ret = false;
		if (BPF_CLASS(insns[i].code) == BPF_JMP && i + 1 + insns[i].jf >= n)
			last_is_ret = false;
	}
	ok(last_is_ret && BPF_CLASS(insns[n - 1].code) == BPF_RET,
	   "every jump lands inside it, and it ends with a return");
	is_int(run(insns, n, native, SYS_bind, none), SECCOMP_RET_USER_NOTIF, "native bind: notify");
	is_int(run(insns, n, native, SYS_listen, none), SECCOMP_RET_USER_NOTIF, "native listen: notify");
	is_int(run(insns, n, native, SYS_connect, none), SECCOMP_RET_USER_NOTIF, "native connect: notify");
	is_int(run(insns, n, native, SYS_sendmsg, none), SECCOMP_RET_USER_NOTIF, "native sendmsg: notify");
	is_int(run(insns, n, native, SYS_sendto, dest_low), SECCOMP_RET_USER_NOTIF,
	       "native sendto with a destination: notify");
	is_int(run(insns, n, native, SYS_sendto, dest_high), SECCOMP_RET_USER_NOTIF,
	       "  (a destination pointer above 4 GiB, low half zero, too)");
	is_int(run(insns, n, native, SYS_sendto, none), SECCOMP_RET_ALLOW,
	       "native sendto without a destination (a connected socket's send): allow");
	is_int(run(insns, n, native, SYS_sendto, len_only), SECCOMP_RET_ALLOW,
	       "  (also with an address length but a NULL pointer)");
	is_int(run(insns, n, native, SYS_sendmmsg, none), SECCOMP_RET_ALLOW, "native sendmmsg: allow");
	is_int(run(insns, n, native, SYS_write, none), SECCOMP_RET_ALLOW, "native write: allow");
	is_int(run(insns, n, native, SYS_socket, none), SECCOMP_RET_ALLOW, "native socket: allow");
	is_int(run(insns, n, native, SYS_execve, none), SECCOMP_RET_ALLOW, "native execve: allow");
	is_int(run(insns, n, native, SYS_bind, probe), SECCOMP_RET_ERRNO | EPR_FILTER_MARK,
	       "the probe's bind: the mark");
	is_int(run(insns, n, native, SYS_bind, probe_fd_only), SECCOMP_RET_USER_NOTIF,
	       "a bind with the probe's fd but not its length: notify");
#if defined(__x86_64__)
	is_int(run(insns, n, native, 0x40000000u | SYS_bind, none), refused, "x32 bind: EPERM");
	is_int(run(insns, n, native, 0x40000000u | SYS_listen, none), refused, "x32 listen: EPERM");
	is_int(run(insns, n, native, 0x40000000u | SYS_connect, none), refused, "x32 connect: EPERM");
	is_int(run(insns, n, native, 0x40000000u | SYS_sendto, none), refused, "x32 sendto: EPERM");
	is_int(run(insns, n, native, 0x40000000u | 518, none), refused, "x32 sendmsg (518): EPERM");
	is_int(run(insns, n, native, 0x40000000u | 538, none), refused, "x32 sendmmsg (538): EPERM");
	is_int(run(insns, n, native, 0x40000000u | SYS_write, none), SECCOMP_RET_ALLOW,
	       "x32 write: allow");
	is_int(run(insns, n, AUDIT_ARCH_I386, 362, none), refused, "i386 connect (362): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 369, none), refused, "i386 sendto (369): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 370, none), refused, "i386 sendmsg (370): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 345, none), refused, "i386 sendmmsg (345): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 361, none), refused, "i386 bind (361): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 363, none), refused, "i386 listen (363): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 102, none), refused, "i386 socketcall (102): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_I386, 4, none), SECCOMP_RET_ALLOW, "i386 write: allow");
	is_int(run(insns, n, AUDIT_ARCH_I386, SYS_bind, none), SECCOMP_RET_ALLOW,
	       "i386 call 49 (not bind there): allow");
#elif defined(__aarch64__)
	is_int(run(insns, n, AUDIT_ARCH_ARM, 282, none), refused, "ARM bind (282): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_ARM, 284, none), refused, "ARM listen (284): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_ARM, 283, none), refused, "ARM connect (283): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_ARM, 296, none), refused, "ARM sendmsg (296): EPERM");
	is_int(run(insns, n, AUDIT_ARCH_ARM, 4, none), SECCOMP_RET_ALLOW, "ARM write: allow");
#endif
	is_int(run(insns, n, 0x12345678u, SYS_bind, none), refused,
	       "an unknown architecture's calls: EPERM");
}

/* In a child under the filter: the probe says so, and a real bind is notified (nobody
 * answers: the listener is closed, so the kernel fails it with ENOSYS). */
static void check_loaded(void)
{
	int report[2], status;
	pid_t child;
	char got[7] = "";

	if (pipe(report) < 0)
		tap_bail("pipe: %s", strerror(errno));
	ok(!seccomp_bpf_present(), "without the filter the probe finds none");
	child = fork();
	if (child < 0)
		tap_bail("fork: %s", strerror(errno));
	if (child == 0) {
		int listener, fd;
		struct sockaddr_in sin = { .sin_family = AF_INET };

		close(report[0]);
		if (seccomp_bpf_no_new_privs_if_needed() < 0 || (listener = seccomp_bpf_load()) < 0)
			_exit(3);
		got[0] = seccomp_bpf_present() ? 'P' : '-';
		close(listener);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		got[1] = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == ENOSYS ? 'N' : '-';
		got[2] = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == ENOSYS ? 'C' : '-';
		{
			int pair[2], one = 1;
			struct iovec iov = { &one, 1 };
			struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

			if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
				_exit(4);
			got[3] = sendmsg(pair[0], &m, MSG_NOSIGNAL) < 0 && errno == ENOSYS ? 'M' : '-';
			got[4] = fd_send(pair[0], "x", 1, fd) == 1 ? 'F' : '-';
			got[5] = sendto(pair[0], "x", 1, 0, NULL, 0) == 1 ? 'S' : '-';
		}
		if (write(report[1], got, 6) < 0)
			_exit(2);
		_exit(0);
	}
	close(report[1]);
	if (read(report[0], got, 6) != 6)
		got[0] = '\0';
	close(report[0]);
	waitpid(child, &status, 0);
	is_str(got, "PNCMFS", "under the filter the probe finds it (P); a bind (N), a connect (C) "
	       "and a sendmsg (M) nobody answers fail with ENOSYS; fd_send's sendmsg (F) and a "
	       "send without a destination (S) are not notified");
}

#define FIRST_FAILED 200

/* Runs install in a child that then reports, through its exit status, the second install's
 * -errno (or 0); the parent receives the first listener. */
static int twice(int *listener, char *why, size_t cap)
{
	int channel[2], report[2], status;
	ssize_t got;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0 || pipe(report) < 0)
		tap_bail("socketpair or pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		tap_bail("fork: %s", strerror(errno));
	if (child == 0) {
		char reason[256];
		int first = seccomp_child_install(channel[1], reason, sizeof(reason)), second;

		if (first < 0) { /* its reason goes back as the report */
			if (write(report[1], reason, strlen(reason) + 1) < 0)
				_exit(101);
			_exit(FIRST_FAILED);
		}
		second = seccomp_child_install(channel[1], reason, sizeof(reason));
		if (write(report[1], reason, strlen(reason) + 1) < 0)
			_exit(101);
		_exit(second < 0 ? -second : 0);
	}
	close(channel[1]);
	close(report[1]);
	*listener = seccomp_receive_listener(channel[0]);
	got = read(report[0], why, cap - 1);
	why[got > 0 ? got : 0] = '\0';
	close(report[0]);
	close(channel[0]);
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	char why[256];
	int listener = -1, second = twice(&listener, why, sizeof(why)), channel[2];

	/* valgrind does not emulate seccomp(2): nothing to check there but the reason. */
	if (second == FIRST_FAILED && strstr(why, "no seccomp user notification")) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	check_program();
	check_loaded();
	ok(listener >= 0, "the supervisor receives the listener fd (got %d)", listener);
	ok(listener >= 0 && (fcntl(listener, F_GETFD) & FD_CLOEXEC), "the received listener is close-on-exec");
	is_int(second, EBUSY, "a second listener in the same process is refused with EBUSY");
	ok(strstr(why, "a second listener is refused") != NULL && strchr(why, '\n') == NULL,
	   "with a one-line reason: '%s'", why);
	if (listener >= 0) {
		is_int(seccomp_handle(listener, &(struct intercept_ops){ .bind = NULL }, NULL), -ENOENT,
		       "once the tree is gone, seccomp_handle says the listener is dead (-ENOENT)");
		close(listener);
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0)
		tap_bail("socketpair: %s", strerror(errno));
	close(channel[1]);
	is_int(seccomp_receive_listener(channel[0]), -EPIPE,
	       "a channel closed without a listener gives -EPIPE");
	close(channel[0]);
	return tap_done();
}
