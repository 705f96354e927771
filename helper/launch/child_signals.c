/* What a child of the supervisor (CMD, a --wait-cmd attempt) must not inherit of its
 * signals: the supervisor blocks those it reads from its signalfd, and its caller may have
 * left any ignored. */
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"

void child_reset_signals(void)
{
	/* The raw system call: glibc's signal() refuses 32 and 33, which it keeps for itself,
	 * yet a caller (make, for one) may have left them ignored. */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
