/* The ports a process was handed, passed on to the next program image (EPR_BOUND). */
#ifndef EPR_HANDED_H
#define EPR_HANDED_H

/* At load, under the bare shim with an env file, or under a supervisor (whose launch
 * removed any EPR_BOUND of before): takes over the ports the image before was handed if it
 * belongs to the same launch, and puts EPR_BOUND into the environment. */
void handed_start(int same_launch);

/* After a rewritten bind, with the state lock held: EPR_BOUND says the ports now. */
void handed_publish(void);

#endif
