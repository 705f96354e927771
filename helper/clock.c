/* Monotonic time, for deadlines that must stay bounded. */
#include <time.h>

#include "cli.h"

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
