/* Parsing of port numbers and of the S[=P] sentinel lists in EPR_PORTS and epr -p. */
#ifndef EPR_PORT_SPEC_H
#define EPR_PORT_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "epr_env.h"

struct port_spec {
	uint16_t sentinel; /* the port the program asks for */
	uint16_t pin;      /* the port to give it instead; 0: reserve one */
};

struct port_specs {
	size_t n;
	struct port_spec item[EPR_MAX_SENTINELS];
};

/* Parses a decimal port 1..65535 from text[0..len): digits only. 0 on success, -1 if not. */
int port_parse(const char *text, size_t len, uint16_t *port);

/* Adds one "S" or "S=P" item of len bytes to specs. A sentinel given twice is kept once;
 * pinned twice to different ports, or two sentinels pinned to one port, is an error.
 * On error returns -1 and writes a one-line reason naming the value into err. */
int port_specs_add(struct port_specs *specs, const char *item, size_t len, char *err, size_t errlen);

/* Parses a whole comma-separated list (EPR_PORTS); "" is valid and empty. */
int port_specs_parse(struct port_specs *specs, const char *text, char *err, size_t errlen);

/* The spec for sentinel, or NULL. */
const struct port_spec *port_specs_find(const struct port_specs *specs, uint16_t sentinel);

#endif
