/* The next bind(), listen(), connect(), send and name calls in the symbol chain: libc's,
 * or another preloaded library's. Looked up once; a lookup that fails or finds our own hook
 * fails the call with ENOSYS instead of crashing or looping. */
#include <dlfcn.h>
#include <errno.h>

#include "log.h"
#include "real.h"
#include "sys_socket.h"

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*listen_fn)(int, int);

static bind_fn next_bind;
static listen_fn next_listen;

/* A race between threads only makes both look it up: the answer is the same. */
static void *lookup(const char *name, void *own_hook)
{
	void *sym = dlsym(RTLD_NEXT, name);

	if (sym == NULL || sym == own_hook) {
		static int warned;
		struct logline l;

		if (__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
			return NULL;
		log_start(&l, "error");
		log_str(&l, "cannot find the real ");
		log_str(&l, name);
		log_str(&l, "()");
		log_end(&l);
		return NULL;
	}
	return sym;
}

int sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	bind_fn fn = __atomic_load_n(&next_bind, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		fn = (bind_fn)lookup("bind", (void *)&bind);
		if (fn == NULL) {
			errno = ENOSYS;
			return -1;
		}
		__atomic_store_n(&next_bind, fn, __ATOMIC_RELEASE);
	}
	return fn(fd, addr, len);
}

int sys_listen(int fd, int backlog)
{
	listen_fn fn = __atomic_load_n(&next_listen, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		fn = (listen_fn)lookup("listen", (void *)&listen);
		if (fn == NULL) {
			errno = ENOSYS;
			return -1;
		}
		__atomic_store_n(&next_listen, fn, __ATOMIC_RELEASE);
	}
	return fn(fd, backlog);
}

/* The next definition of name, looked up on first use and kept in *slot; NULL (ENOSYS set)
 * when there is none but our own. */
static void *next(void **slot, const char *name, void *own_hook)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		fn = lookup(name, own_hook);
		if (fn == NULL) {
			errno = ENOSYS;
			return NULL;
		}
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);
typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static void *next_connect, *next_sendto, *next_sendmsg, *next_sendmmsg, *next_getsockname,
	*next_getpeername;

int sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	connect_fn fn = (connect_fn)next(&next_connect, "connect", (void *)&connect);

	return fn ? fn(fd, addr, len) : -1;
}

ssize_t sys_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
		   socklen_t len)
{
	sendto_fn fn = (sendto_fn)next(&next_sendto, "sendto", (void *)&sendto);

	return fn ? fn(fd, buf, n, flags, addr, len) : -1;
}

ssize_t sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	sendmsg_fn fn = (sendmsg_fn)next(&next_sendmsg, "sendmsg", (void *)&sendmsg);

	return fn ? fn(fd, msg, flags) : -1;
}

int sys_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	sendmmsg_fn fn = (sendmmsg_fn)next(&next_sendmmsg, "sendmmsg", (void *)&sendmmsg);

	return fn ? fn(fd, vec, vlen, flags) : -1;
}

int sys_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	name_fn fn = (name_fn)next(&next_getsockname, "getsockname", (void *)&getsockname);

	return fn ? fn(fd, addr, len) : -1;
}

int sys_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	name_fn fn = (name_fn)next(&next_getpeername, "getpeername", (void *)&getpeername);

	return fn ? fn(fd, addr, len) : -1;
}
