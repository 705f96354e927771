/* Monotonic time and short sleeps, for polling loops that must stay bounded. */
#include <time.h>

#include "cli.h"

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	/* Not restarted: a signal must end the wait so that the caller can act on it. */
	nanosleep(&ts, NULL);
}
