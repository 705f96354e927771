/* epr's seccomp filter (see seccomp_bpf.h for what it answers), assembled by hand from a
 * few labelled branches: libseccomp is not needed, so libepr.so can load it inside a host
 * and epr does not link it. */
#include "seccomp_bpf.h"

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

/* The native architecture and, where the kernel runs another one's programs, that one's
 * bind, listen, connect, sendto, sendmsg, sendmmsg and socketcall numbers (not in this
 * build's headers); x32's own sendmsg and sendmmsg (its 46 and 307 do not exist). */
#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u /* x32 calls: native arch, numbers with this bit */
#define X32_SENDMSG 518u
#define X32_SENDMMSG 538u
#define COMPAT_ARCH AUDIT_ARCH_I386
#define COMPAT_BIND 361u
#define COMPAT_LISTEN 363u
#define COMPAT_CONNECT 362u
#define COMPAT_SENDTO 369u
#define COMPAT_SENDMSG 370u
#define COMPAT_SENDMMSG 345u
#define COMPAT_SOCKETCALL 102u
#elif defined(__aarch64__) && !defined(__ILP32__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define COMPAT_BIND 282u
#define COMPAT_LISTEN 284u
#define COMPAT_CONNECT 283u
#define COMPAT_SENDTO 290u
#define COMPAT_SENDMSG 296u
#define COMPAT_SENDMMSG 374u
#define COMPAT_SOCKETCALL 102u /* OABI only; refused all the same */
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#else
/* 32-bit builds multiplex bind through socketcall, which this program does not decode. */
#define NATIVE_ARCH 0u
_Static_assert(NATIVE_ARCH != 0u, "seccomp_bpf.c: no filter for this architecture");
#endif

/* seccomp_data: nr at 0, arch at 4, args[i] (64-bit) at 16 + 8 i; the low word of an
 * argument is the one an int or socklen_t is passed in. */
#define OFF_NR 0
#define OFF_ARCH 4
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OFF_ARG_LOW(i) (16 + 8 * (i))
#define OFF_ARG_HIGH(i) (16 + 8 * (i) + 4)
#else
#define OFF_ARG_LOW(i) (16 + 8 * (i) + 4)
#define OFF_ARG_HIGH(i) (16 + 8 * (i))
#endif

/* Jump targets, resolved once the program is laid out. NEXT (0) falls through. */
enum label { NEXT, NATIVE_LISTEN, SENDMSG, X32, COMPAT, ALLOW, NOTIFY, REFUSE, MARK, LABELS };
/* sendto's destination pointer, args[4]: NULL on a connected socket's send, which stays in the
 * kernel (no notification); it is 64 bits wide, so both halves are tested. */
#define SENDTO_DEST 4

struct assembly {
	struct sock_filter *insns;
	size_t n, cap;
	size_t at[LABELS];
	unsigned char is_jump[EPR_FILTER_MAX_INSNS];
};

static void emit(struct assembly *a, struct sock_filter insn, bool jump)
{
	if (a->n < a->cap && a->n < EPR_FILTER_MAX_INSNS) {
		a->is_jump[a->n] = jump;
		a->insns[a->n] = insn;
	}
	a->n++;
}

static void load(struct assembly *a, unsigned offset)
{
	emit(a, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset), false);
}

/* if (A == k) goto yes; else goto no */
static void if_equal(struct assembly *a, uint32_t k, enum label yes, enum label no)
{
	emit(a, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, yes, no), true);
}

static void mark(struct assembly *a, enum label l)
{
	a->at[l] = a->n;
}

static void ret(struct assembly *a, enum label l, uint32_t action)
{
	mark(a, l);
	emit(a, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action), false);
}

/* Labels into relative offsets: forward only, each within the 255 a jump can skip. */
static void resolve(struct assembly *a)
{
	for (size_t i = 0; i < a->n && i < a->cap; i++) {
		if (!a->is_jump[i])
			continue;
		if (a->insns[i].jt != NEXT)
			a->insns[i].jt = (uint8_t)(a->at[a->insns[i].jt] - i - 1);
		if (a->insns[i].jf != NEXT)
			a->insns[i].jf = (uint8_t)(a->at[a->insns[i].jf] - i - 1);
	}
}

size_t seccomp_bpf_program(struct sock_filter *insns, size_t cap)
{
	struct assembly a = { .insns = insns, .cap = cap };

	load(&a, OFF_ARCH);
	if_equal(&a, NATIVE_ARCH, NEXT, COMPAT);
	load(&a, OFF_NR);
#ifdef X32_BIT
	emit(&a, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, X32, NEXT), true);
#endif
	if_equal(&a, SYS_bind, NEXT, NATIVE_LISTEN);
	load(&a, OFF_ARG_LOW(0));
	if_equal(&a, EPR_FILTER_PROBE_FD, NEXT, NOTIFY);
	load(&a, OFF_ARG_LOW(2));
	if_equal(&a, EPR_FILTER_PROBE_LEN, MARK, NOTIFY);
	mark(&a, NATIVE_LISTEN);
	if_equal(&a, SYS_listen, NOTIFY, NEXT);
	/* A connect and a sendmsg (whose msg_name the filter cannot read) are the notifier's to
	 * judge; sendmmsg is not (see seccomp_bpf.h). */
	if_equal(&a, SYS_connect, NOTIFY, NEXT);
	if_equal(&a, SYS_sendto, NEXT, SENDMSG);
	load(&a, OFF_ARG_LOW(SENDTO_DEST));
	if_equal(&a, 0, NEXT, NOTIFY);
	load(&a, OFF_ARG_HIGH(SENDTO_DEST));
	if_equal(&a, 0, ALLOW, NOTIFY);
	mark(&a, SENDMSG);
	if_equal(&a, SYS_sendmsg, NEXT, ALLOW);
	/* flags, an int: the low word is what the kernel reads */
	load(&a, OFF_ARG_LOW(2));
	if_equal(&a, EPR_FILTER_PASS_FLAGS, ALLOW, NOTIFY);
#ifdef X32_BIT
	mark(&a, X32);
	if_equal(&a, X32_BIT | SYS_bind, REFUSE, NEXT);
	if_equal(&a, X32_BIT | SYS_listen, REFUSE, NEXT);
	if_equal(&a, X32_BIT | SYS_connect, REFUSE, NEXT);
	if_equal(&a, X32_BIT | SYS_sendto, REFUSE, NEXT);
	if_equal(&a, X32_BIT | X32_SENDMSG, REFUSE, NEXT);
	if_equal(&a, X32_BIT | X32_SENDMMSG, REFUSE, ALLOW);
#endif
	mark(&a, COMPAT);
#ifdef COMPAT_ARCH
	if_equal(&a, COMPAT_ARCH, NEXT, REFUSE);
	load(&a, OFF_NR);
	if_equal(&a, COMPAT_BIND, REFUSE, NEXT);
	if_equal(&a, COMPAT_LISTEN, REFUSE, NEXT);
	if_equal(&a, COMPAT_CONNECT, REFUSE, NEXT);
	if_equal(&a, COMPAT_SENDTO, REFUSE, NEXT);
	if_equal(&a, COMPAT_SENDMSG, REFUSE, NEXT);
	if_equal(&a, COMPAT_SENDMMSG, REFUSE, NEXT);
	if_equal(&a, COMPAT_SOCKETCALL, REFUSE, ALLOW);
#else
	emit(&a, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ERRNO | EPR_FILTER_FOREIGN_ERRNO), false);
#endif
	ret(&a, ALLOW, SECCOMP_RET_ALLOW);
	ret(&a, NOTIFY, SECCOMP_RET_USER_NOTIF);
	ret(&a, REFUSE, SECCOMP_RET_ERRNO | EPR_FILTER_FOREIGN_ERRNO);
	ret(&a, MARK, SECCOMP_RET_ERRNO | EPR_FILTER_MARK);
	resolve(&a);
	return a.n;
}

int seccomp_bpf_load(void)
{
	struct sock_filter insns[EPR_FILTER_MAX_INSNS];
	struct sock_fprog prog = { .len = 0, .filter = insns };
	long fd;

	prog.len = (unsigned short)seccomp_bpf_program(insns, EPR_FILTER_MAX_INSNS);
	if (prog.len > EPR_FILTER_MAX_INSNS)
		return -E2BIG;
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	/* Before 5.19 the kernel does not know WAIT_KILLABLE_RECV and says EINVAL. */
	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return fd < 0 ? -errno : (int)fd;
}

unsigned seccomp_bpf_native_arch(void)
{
	return NATIVE_ARCH;
}

bool seccomp_bpf_present(void)
{
	int saved = errno;
	long rc = syscall(SYS_bind, (long)EPR_FILTER_PROBE_FD, 0L, (long)EPR_FILTER_PROBE_LEN);
	bool present = rc < 0 && errno == EPR_FILTER_MARK;

	errno = saved;
	return present;
}

bool seccomp_bpf_privileged(void)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int saved = errno;
	bool admin = syscall(SYS_capget, &head, data) == 0 &&
		     (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN));

	errno = saved;
	return admin;
}

int seccomp_bpf_no_new_privs_if_needed(void)
{
	if (seccomp_bpf_privileged())
		return 0;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}
