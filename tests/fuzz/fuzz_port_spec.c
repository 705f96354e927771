/* libFuzzer: port_parse, port_specs_add and port_specs_parse on arbitrary bytes. Checks
 * that what is accepted obeys the rules the shim relies on, and that errors are strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "port_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_specs(const struct port_specs *s)
{
	if (s->n > EPR_MAX_SENTINELS)
		abort();
	for (size_t i = 0; i < s->n; i++) {
		if (s->item[i].sentinel == 0)
			abort();
		if (port_specs_find(s, s->item[i].sentinel) != &s->item[i])
			abort(); /* a sentinel is kept once */
		for (size_t j = i + 1; j < s->n; j++)
			if (s->item[i].pin && s->item[i].pin == s->item[j].pin)
				abort(); /* two sentinels pinned to one port */
	}
}

static void check_error(const char *err, size_t errlen)
{
	if (errlen && memchr(err, '\0', errlen) == NULL)
		abort(); /* not NUL-terminated */
	if (errlen > 1 && err[0] != '\'')
		abort(); /* every message starts with the quoted value */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copies: ASan reports any read past the bytes given. */
	char *raw = malloc(size ? size : 1), *text = malloc(size + 1);
	struct port_specs specs;
	char err[200];
	uint16_t port = 0;

	if (raw == NULL || text == NULL)
		abort();
	memcpy(raw, data, size);
	memcpy(text, data, size);
	text[size] = '\0';

	if (port_parse(raw, size, &port) == 0) {
		if (size == 0 || size > 5 || port == 0)
			abort();
		for (size_t i = 0; i < size; i++)
			if (raw[i] < '0' || raw[i] > '9')
				abort();
	}

	specs.n = 0;
	if (port_specs_add(&specs, raw, size, err, sizeof(err)) == 0)
		check_specs(&specs);
	else
		check_error(err, sizeof(err));

	/* The whole text as EPR_PORTS, with a full error buffer and with one sized by the input. */
	if (port_specs_parse(&specs, text, err, sizeof(err)) == 0)
		check_specs(&specs);
	else
		check_error(err, sizeof(err));
	size_t small = size ? (size_t)data[0] % 16 : 0;
	char *tiny = malloc(small ? small : 1);
	if (tiny == NULL)
		abort();
	if (port_specs_parse(&specs, text, tiny, small) < 0)
		check_error(tiny, small);
	free(tiny);
	free(text);
	free(raw);
	return 0;
}
