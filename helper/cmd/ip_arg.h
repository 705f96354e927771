/* The IP argument of epr reserve: an IPv4 or IPv6 literal, brackets allowed around IPv6,
 * and "localhost" as the classic tool's users write it. Apart so that it can be fuzzed. */
#ifndef EPR_IP_ARG_H
#define EPR_IP_ARG_H

#include <stdint.h>
#include <sys/socket.h>

/* Fills addr (port included) from text; returns its length, or 0 if text is no address. */
socklen_t ip_arg_parse(const char *text, uint16_t port, struct sockaddr_storage *addr);

#endif
