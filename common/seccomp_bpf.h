/* epr's seccomp filter, a hand-written classic BPF program, shared by the supervisor's child
 * (helper/seccomp/seccomp_filter.c) and libepr.so's exec hooks (shim/exec.c): no libseccomp,
 * no malloc, no stdio.
 *
 * What it does with each system call, by the architecture the call was made in:
 *   native      bind, listen, connect, sendmsg, and sendto with a destination (args[4] not
 *               NULL)                  SECCOMP_RET_USER_NOTIF (the supervisor answers)
 *               bind(EPR_FILTER_PROBE) SECCOMP_RET_ERRNO(EPR_FILTER_MARK): "this filter is here"
 *               sendmsg(fd, msg, EPR_FILTER_PASS_FLAGS)  SECCOMP_RET_ALLOW (fd_send())
 *               anything else          SECCOMP_RET_ALLOW: sendto(fd, buf, len, flags, NULL, 0)
 *               on a connected socket, and sendmmsg, whose answer writes each message's
 *               msg_len into the program's memory, which epr never writes
 *   x32 (on x86_64) bind, listen, connect, sendto, sendmsg, sendmmsg  SECCOMP_RET_ERRNO(EPERM)
 *   i386 (on x86_64), ARM (on AArch64): the same and socketcall       SECCOMP_RET_ERRNO(EPERM)
 *   any other architecture             SECCOMP_RET_ERRNO(EPERM) for every call
 * The supervisor reads only native arguments, so a foreign call is refused rather than let
 * through to bind a sentinel; EPERM says "not permitted here", as for a refused exec. */
#ifndef EPR_SECCOMP_BPF_H
#define EPR_SECCOMP_BPF_H

#include <errno.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The probe: bind(EPR_FILTER_PROBE_FD, NULL, EPR_FILTER_PROBE_LEN) fails with EBADF (no such
 * descriptor) anywhere but under epr's filter, which answers EPR_FILTER_MARK. It survives
 * exec and a scrubbed environment, as the filter does. */
#define EPR_FILTER_PROBE_FD  0x65707246u /* "eprF": far above any descriptor limit */
#define EPR_FILTER_PROBE_LEN 0x6d61726bu /* "mark" */
#define EPR_FILTER_MARK      ECHRNG     /* an errno bind() never gives */
#define EPR_FILTER_FOREIGN_ERRNO EPERM

/* The flags of fd_send()'s sendmsg (common/fd_pass.c), which the filter lets through unseen: a
 * process that has just loaded it hands its listener over with one, and no one serves that
 * listener yet. MSG_CONFIRM and MSG_DONTROUTE mean nothing to the unix sockets fd_send()
 * uses; a program's sendmsg to a sentinel with exactly these three flags would not be
 * redirected. */
#define EPR_FILTER_PASS_FLAGS (MSG_NOSIGNAL | MSG_CONFIRM | MSG_DONTROUTE)

/* Enough for every branch of the program. */
#define EPR_FILTER_MAX_INSNS 48

/* Writes the program into insns (cap >= EPR_FILTER_MAX_INSNS); its length. */
size_t seccomp_bpf_program(struct sock_filter *insns, size_t cap);

/* Loads the program into the calling thread with a new listener (and, where the kernel has
 * it, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV); the listener fd (close-on-exec), or -errno:
 * -EBUSY when the thread already has a filter with a listener, -EINVAL or -ENOSYS when the
 * kernel has no user notification, -EACCES without no_new_privs or CAP_SYS_ADMIN. */
int seccomp_bpf_load(void);

/* The AUDIT_ARCH_* of native calls, the only ones whose arguments the supervisor reads. */
unsigned seccomp_bpf_native_arch(void);

/* Whether the calling thread runs under epr's filter (the probe). */
bool seccomp_bpf_present(void);

/* Whether the thread has CAP_SYS_ADMIN, with which a filter loads without no_new_privs. */
bool seccomp_bpf_privileged(void);

/* Sets no_new_privs unless the thread has CAP_SYS_ADMIN, which loads a filter without it:
 * a setuid program run by root then keeps its privileges. 0, or -errno. */
int seccomp_bpf_no_new_privs_if_needed(void);

#endif
