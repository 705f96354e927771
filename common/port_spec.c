/* Port numbers and sentinel lists: strict, so that a typo fails loudly instead of binding
 * the sentinel itself. */
#include "port_spec.h"

#include <stdio.h>
#include <string.h>

int port_parse(const char *text, size_t len, uint16_t *port)
{
	unsigned long value = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		value = value * 10 + (unsigned long)(text[i] - '0');
	}
	if (value < 1 || value > 65535)
		return -1;
	*port = (uint16_t)value;
	return 0;
}

const struct port_spec *port_specs_find(const struct port_specs *specs, uint16_t sentinel)
{
	for (size_t i = 0; i < specs->n; i++)
		if (specs->item[i].sentinel == sentinel)
			return &specs->item[i];
	return NULL;
}

static int spec_error(char *err, size_t errlen, const char *what, const char *item, size_t len)
{
	snprintf(err, errlen, "'%.*s' %s", (int)(len > 40 ? 40 : len), item, what);
	return -1;
}

static int pin_taken(const struct port_specs *specs, uint16_t sentinel, uint16_t pin)
{
	for (size_t i = 0; i < specs->n; i++)
		if (specs->item[i].pin == pin && specs->item[i].sentinel != sentinel)
			return 1;
	return 0;
}

int port_specs_add(struct port_specs *specs, const char *item, size_t len, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	size_t slen = eq ? (size_t)(eq - item) : len;
	struct port_spec spec = { 0, 0 };

	if (len == 0)
		return spec_error(err, errlen, "is empty: expected S or S=P", item, len);
	if (port_parse(item, slen, &spec.sentinel) < 0)
		return spec_error(err, errlen, "is not a port (1-65535)", item, slen);
	if (eq && port_parse(eq + 1, len - slen - 1, &spec.pin) < 0)
		return spec_error(err, errlen, "pins something that is not a port (1-65535)", item, len);

	struct port_spec *known = (struct port_spec *)port_specs_find(specs, spec.sentinel);
	if (known) {
		if (spec.pin && known->pin && spec.pin != known->pin)
			return spec_error(err, errlen, "pins a sentinel already pinned to another port",
					  item, len);
		if (spec.pin && pin_taken(specs, spec.sentinel, spec.pin))
			return spec_error(err, errlen, "pins a port already pinned for another sentinel",
					  item, len);
		if (spec.pin)
			known->pin = spec.pin;
		return 0;
	}
	if (spec.pin && pin_taken(specs, spec.sentinel, spec.pin))
		return spec_error(err, errlen, "pins a port already pinned for another sentinel", item, len);
	if (specs->n == EPR_MAX_SENTINELS)
		return spec_error(err, errlen, "is one sentinel too many (at most 64)", item, len);
	specs->item[specs->n++] = spec;
	return 0;
}

int port_specs_parse(struct port_specs *specs, const char *text, char *err, size_t errlen)
{
	specs->n = 0;
	if (*text == '\0')
		return 0;
	for (;;) {
		const char *comma = strchr(text, ',');
		size_t len = comma ? (size_t)(comma - text) : strlen(text);

		if (port_specs_add(specs, text, len, err, errlen) < 0)
			return -1;
		if (!comma)
			return 0;
		text = comma + 1;
	}
}
