/* The AUDIT_ARCH_* value of the architecture epr is built for: what seccomp_data.arch holds
 * for a native system call, whose numbers and argument layout are the ones in
 * <sys/syscall.h>. Known at compile time, so no library is asked. */
#ifndef EPR_SECCOMP_ARCH_H
#define EPR_SECCOMP_ARCH_H

#include <linux/audit.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_I386
#elif defined(__aarch64__) && defined(__AARCH64EL__)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_ARM
#elif defined(__riscv) && __riscv_xlen == 64
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_PPC64LE
#elif defined(__powerpc64__)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_PPC64
#elif defined(__s390x__)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_S390X
#elif defined(__loongarch64)
#define SECCOMP_ARCH_NATIVE AUDIT_ARCH_LOONGARCH64
#else
#error "epr's seccomp interception does not know this architecture's AUDIT_ARCH value"
#endif

#endif
