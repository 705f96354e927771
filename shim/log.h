/* "libepr: prog[pid]: ..." lines on stderr, built in a stack buffer and written with one
 * write(2): no stdio and no malloc, so they are safe inside the host's bind(). */
#ifndef EPR_LOG_H
#define EPR_LOG_H

#include <stddef.h>
#include <sys/socket.h>

struct logline {
	size_t len;
	char text[512];
};

/* level is "error", "warning" or NULL (debug lines carry none). */
void log_start(struct logline *l, const char *level);
void log_str(struct logline *l, const char *s);
void log_num(struct logline *l, unsigned long n);
void log_errno(struct logline *l, int err);
/* "127.0.0.1:3306" or "[::1]:3306" */
void log_addr(struct logline *l, const struct sockaddr *sa);
/* Ends the line and writes it; errno is left as it was. */
void log_end(struct logline *l);

#endif
