/* A client of portpicker's portserver protocol: send a pid and a newline, read a port and a
 * newline. Shared by epr reserve and libepr-reserve.so. */
#ifndef EPR_PORTSERVER_CLIENT_H
#define EPR_PORTSERVER_CLIENT_H

#include <sys/types.h>

/* portpicker's default address, which epr portserver also serves by default. */
#define PORTSERVER_DEFAULT_ADDRESS "@unittest-portserver"

/* Asks the portserver at address ("@name": the abstract namespace; else a path) for a port
 * held until pid exits. Waits 5 s at most. Returns the port, or -errno: -EINVAL for an
 * address that is empty or too long, -ECONNREFUSED or -ENOENT when no portserver listens,
 * -EPERM when it refused pid (portpicker's server answers nothing then), -EPROTO when the
 * answer is not a port, -EAGAIN on a timeout. No stdio, no malloc. */
int portserver_request(const char *address, pid_t pid);

#endif
