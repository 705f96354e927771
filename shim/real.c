/* The next bind() and listen() in the symbol chain: libc's, or another preloaded
 * library's. Looked up once; a lookup that fails or finds our own hook fails the call with
 * ENOSYS instead of crashing or looping. */
#include <dlfcn.h>
#include <errno.h>

#include "log.h"
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
