/* A launch named on the command line, as epr stop and epr exec take it: its env file, or a
 * pid it printed (EPR_PID or EPR_SUPERVISOR_PID), found among the caller's launches. */
#ifndef EPR_LAUNCH_ARG_H
#define EPR_LAUNCH_ARG_H

#include <stdbool.h>

#include "envfile.h"
#include "launch.h"

/* Whether text is all digits: a pid, not a file name. */
bool launch_arg_is_pid(const char *text);

/* The launch the env file at path names, read into ef and e. It must be the caller's: its
 * pids are signalled and its supervisor is asked. What is acted on comes from the caller's
 * registry, never from the file (a file can name any directory): e->listed says whether
 * the registry still has the launch. A file that is gone names a launch that is gone,
 * unless the registry still has one of that file. False then; exits 1 if path is not an
 * env file of a launch of the caller's. */
bool launch_arg_file(const char *path, struct envfile *ef, struct launch_entry *e);

/* The launch of pid text, its supervisor's or CMD's, among the caller's, into e (and its env
 * file, if any, into ef); exits 1 if none, 2 if text is no pid. */
void launch_arg_pid(const char *text, struct envfile *ef, struct launch_entry *e);

#endif
